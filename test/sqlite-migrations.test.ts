// A store written by an earlier schema opens with this Cairn and keeps everything it held.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { blankStep } from "../src/engine/resume.js";
import { itemsQuery } from "../src/store/sqlite/items.js";
import { SQLITE_MIGRATIONS } from "../src/store/sqlite/migrations.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { ItemFilter } from "../src/store/store.js";
import { tempDir } from "./helpers/temp.js";

/** A file at schema version 2, as an earlier Cairn left it: two runs, their steps and events. */
function writeVersion2Store(file: string): void {
  const db = new Database(file);
  db.exec(SQLITE_MIGRATIONS[0]!);
  db.exec(SQLITE_MIGRATIONS[1]!);
  db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '2')").run();
  const run = db.prepare(
    `INSERT INTO runs (id, workflow_id, tenant, status, input, created_at, updated_at, origin, root_run_id,
       attempt, workdir, secret_names, fingerprint)
     VALUES (?, 'wf', ?, ?, '{}', ?, ?, 'start', ?, 1, '/tmp', '[]', 'fp')`,
  );
  run.run("run_a", "acme", "failed", 1, 1, "run_a");
  run.run("run_b", "default", "succeeded", 2, 2, "run_b");
  const step = db.prepare(
    "INSERT INTO steps (run_id, step_id, status, needs, attempts, output, error) VALUES (?, ?, ?, '[]', ?, ?, ?)",
  );
  // Inserted out of alphabetical order, and interleaved between the runs.
  step.run("run_a", "zeta", "succeeded", 1, '{"rows":3}', null);
  step.run("run_b", "only", "succeeded", 1, '"b"', null);
  step.run("run_a", "alpha", "failed", 2, null, '{"message":"boom"}');
  step.run("run_a", "mid", "pending", 0, null, null);
  const event = db.prepare(
    "INSERT INTO events (run_id, tenant, step_id, type, at, data) VALUES (?, ?, ?, ?, ?, ?)",
  );
  event.run("run_a", "acme", null, "run.created", 1, null);
  event.run("run_b", "default", null, "run.created", 2, null);
  event.run("run_a", "acme", "alpha", "step.failed", 3, '{"error":"boom"}');
  db.close();
}

test("a version 2 store opens at the current version with its runs, steps (in order) and events", async () => {
  const file = path.join(tempDir(), "cairn.db");
  writeVersion2Store(file);
  const store = SqliteStore.open(file);
  try {
    assert.equal(await store.checkIntegrity(), "ok");
    assert.equal((await store.getRun("run_a"))?.tenant, "acme");
    const steps = await store.getSteps("run_a");
    assert.deepEqual(
      steps.map((s) => [s.runId, s.stepId, s.status, s.attempts, s.output, s.error?.message ?? null]),
      [
        ["run_a", "zeta", "succeeded", 1, { rows: 3 }, null],
        ["run_a", "alpha", "failed", 2, null, "boom"],
        ["run_a", "mid", "pending", 0, null, null],
      ],
    );
    assert.deepEqual(
      (await store.getSteps("run_b")).map((s) => s.output),
      ["b"],
    );
    assert.deepEqual(
      (await store.readEvents({})).map((e) => [e.seq, e.runId, e.tenant, e.stepId, e.type, e.data]),
      [
        [1, "run_a", "acme", null, "run.created", null],
        [2, "run_b", "default", null, "run.created", null],
        [3, "run_a", "acme", "alpha", "step.failed", { error: "boom" }],
      ],
    );
    assert.deepEqual(
      (await store.readEvents({ tenant: "acme" })).map((e) => e.seq),
      [1, 3],
    );
    assert.deepEqual(await store.read((tx) => tx.runActivity("run_a")), {
      running: false,
      ready: false,
      failed: true,
      unfinished: true,
    });
    // A step added later (a resume of a changed definition) comes after the ones the run had.
    await store.transaction((tx) => tx.insertSteps([blankStep("run_a", "added", [])]));
    assert.deepEqual(
      (await store.getSteps("run_a")).map((s) => s.stepId),
      ["zeta", "alpha", "mid", "added"],
    );
  } finally {
    await store.close();
  }
  const db = new Database(file, { readonly: true });
  const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as {
    value: string;
  };
  db.close();
  assert.equal(version.value, String(SQLITE_MIGRATIONS.length));
});

/** A file at the schema version before map items were keyed by index, with items of two maps. */
function writeStoreBeforeItemsByIndex(file: string): void {
  const at = SQLITE_MIGRATIONS.findIndex((m) => m.includes("step_items_v2"));
  assert.ok(at > 0, "a migration rebuilds step_items");
  const db = new Database(file);
  for (const m of SQLITE_MIGRATIONS.slice(0, at)) db.exec(m);
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(at));
  const run = db.prepare(
    `INSERT INTO runs (id, workflow_id, tenant, status, input, created_at, updated_at, origin, root_run_id,
       attempt, workdir, secret_names, fingerprint)
     VALUES (?, 'wf', 'default', 'failed', '{}', 1, 1, 'start', ?, 1, '/tmp', '[]', 'fp')`,
  );
  run.run("run_a", "run_a");
  run.run("run_b", "run_b");
  const item = db.prepare(
    `INSERT INTO step_items (run_id, step_id, item_key, item_index, status, attempts, output, error,
       from_run_id, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 10, 20)`,
  );
  // A map without `key` (keys are the indexes), one failed; and a keyed map whose items came from run_b.
  item.run("run_a", "plain", "0", 0, "succeeded", 1, '"zero"', null, null);
  item.run("run_a", "plain", "1", 1, "failed", 3, null, '{"message":"boom"}', null);
  item.run("run_a", "plain", "2", 2, "succeeded", 2, '"two"', null, null);
  item.run("run_a", "keyed", "b", 1, "succeeded", 1, '{"n":1}', null, "run_b");
  item.run("run_a", "keyed", "0", 2, "succeeded", 1, "null", null, null);
  item.run("run_a", "keyed", "a", 0, "failed", 1, null, '{"message":"bad a"}', null);
  item.run("run_b", "keyed", "a", 0, "succeeded", 1, '{"n":0}', null, null);
  db.close();
}

test("map items recorded by an earlier schema keep their keys, outputs, errors and provenance", async () => {
  const file = path.join(tempDir(), "cairn.db");
  writeStoreBeforeItemsByIndex(file);
  const store = SqliteStore.open(file);
  try {
    assert.equal(await store.checkIntegrity(), "ok");
    const items = (runId: string, stepId: string) =>
      store
        .getItems(runId, stepId)
        .then((list) =>
          list.map((i) => [
            i.key,
            i.index,
            i.status,
            i.attempts,
            i.output,
            i.error?.message ?? null,
            i.fromRunId,
          ]),
        );
    assert.deepEqual(await items("run_a", "plain"), [
      ["0", 0, "succeeded", 1, "zero", null, null],
      ["1", 1, "failed", 3, null, "boom", null],
      ["2", 2, "succeeded", 2, "two", null, null],
    ]);
    assert.deepEqual(await items("run_a", "keyed"), [
      ["a", 0, "failed", 1, null, "bad a", null],
      ["b", 1, "succeeded", 1, { n: 1 }, null, "run_b"],
      ["0", 2, "succeeded", 1, null, null, null],
    ]);
    assert.deepEqual(await items("run_b", "keyed"), [["a", 0, "succeeded", 1, { n: 0 }, null, null]]);
    assert.deepEqual(await store.read((tx) => tx.countItems("run_a", "plain")), { succeeded: 2, failed: 1 });
    assert.deepEqual(await store.summariseItems("run_a"), [
      { stepId: "keyed", counts: { succeeded: 2, failed: 1 }, firstFailed: { key: "a", message: "bad a" } },
      { stepId: "plain", counts: { succeeded: 2, failed: 1 }, firstFailed: { key: "1", message: "boom" } },
    ]);
  } finally {
    await store.close();
  }
  // Listing failed items reads only those, one item by index is the table itself, a key its own index.
  const db = new Database(file, { readonly: true });
  const plan = (sql: string, ...params: unknown[]) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join("; ");
  const listing = (filter: ItemFilter) => {
    const query = itemsQuery(filter);
    return plan(query.sql, "run_a", "plain", ...query.params);
  };
  try {
    assert.match(listing({ status: "failed", afterIndex: 0 }), /step_items USING INDEX step_items_failed/);
    assert.match(listing({ status: "failed" }), /step_items USING INDEX step_items_failed/);
    assert.match(
      listing({ afterIndex: 6, limit: 1 }),
      /SEARCH step_items USING PRIMARY KEY \(run_key=\? AND step_id=\? AND item_index>\?\)/,
    );
    assert.match(
      plan("SELECT * FROM step_items WHERE run_key = ? AND step_id = ? AND item_key = ?", 1, "keyed", "b"),
      /USING INDEX step_items_by_key/,
    );
  } finally {
    db.close();
  }
});

// A store written by an earlier schema opens with this Cairn and keeps everything it held.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { blankStep } from "../src/engine/resume.js";
import { SQLITE_MIGRATIONS } from "../src/store/sqlite/migrations.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
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

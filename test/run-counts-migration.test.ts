// A store that already holds runs when the counts table arrives: the migration counts them, and from
// then on /metrics' run counts equal the runs table (SQLite, and PostgreSQL whose deltas fold).
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { PG_MIGRATIONS } from "../src/store/postgres/migrations.js";
import { SQLITE_MIGRATIONS } from "../src/store/sqlite/migrations.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { Store } from "../src/store/store.js";
import { pgTestDb } from "./helpers/pg.js";
import { runRecord } from "./helpers/records.js";
import { tempDir } from "./helpers/temp.js";

const BASE_COLUMNS = `id, workflow_id, tenant, status, input, created_at, updated_at, origin, root_run_id,
  attempt, workdir, secret_names, fingerprint`;
/** 1,000 runs over 3 workflows and 4 statuses, with the columns every schema version has. */
const RUNS = Array.from({ length: 1000 }, (_, i) => ({
  id: `old_${i}`,
  workflow: ["alpha", "beta", "gamma"][i % 3]!,
  status: ["succeeded", "failed", "running", "cancelled"][i % 4]!,
}));
const EXPECTED: Record<string, number> = {};
for (const r of RUNS)
  EXPECTED[`${r.workflow}/${r.status}`] = (EXPECTED[`${r.workflow}/${r.status}`] ?? 0) + 1;

async function counted(store: Store): Promise<Record<string, number>> {
  const { runs } = await store.countForMetrics();
  return Object.fromEntries(runs.map((r) => [`${r.workflowId}/${r.status}`, r.count]));
}

/** The migrations before the one that brings run counts (found by what it creates, not its number). */
function before(migrations: readonly string[], marker: string): readonly string[] {
  const at = migrations.findIndex((m) => m.includes(marker));
  assert.ok(at > 0, `a migration creates ${marker}`);
  return migrations.slice(0, at);
}

test("SQLite: a store with runs migrates to counted runs, then stays equal to the runs table", async () => {
  const file = path.join(tempDir(), "cairn.db");
  const earlier = before(SQLITE_MIGRATIONS, "CREATE TABLE run_counts");
  const db = new Database(file);
  for (const m of earlier) db.exec(m);
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(
    String(earlier.length),
  );
  const insert = db.prepare(
    `INSERT INTO runs (${BASE_COLUMNS}) VALUES (?, ?, 'default', ?, '{}', 1, 1, 'start', ?, 1, '/tmp', '[]', 'fp')`,
  );
  db.transaction(() => {
    for (const r of RUNS) insert.run(r.id, r.workflow, r.status, r.id);
  })();
  db.close();

  const store = SqliteStore.open(file);
  try {
    assert.deepEqual(await counted(store), EXPECTED);
    await store.transaction(async (tx) => {
      await tx.insertRun(runRecord("new_1", { workflowId: "alpha" }));
      await tx.updateRun("old_2", { status: "succeeded" }, ["running"]);
    });
    assert.ok(await store.transaction((tx) => tx.deleteRun("old_0", ["succeeded"], 5)));
    const table = new Database(file, { readonly: true });
    const rows = table
      .prepare("SELECT workflow_id, status, count(*) AS n FROM runs GROUP BY workflow_id, status")
      .all() as Array<{ workflow_id: string; status: string; n: number }>;
    table.close();
    assert.deepEqual(
      await counted(store),
      Object.fromEntries(rows.map((r) => [`${r.workflow_id}/${r.status}`, r.n])),
    );
  } finally {
    await store.close();
  }
});

test("PostgreSQL: a store with runs migrates to counted runs; deltas fold, the sums stay equal to the table", async (t) => {
  const pg = await pgTestDb(t);
  if (!pg) return;
  const earlier = before(PG_MIGRATIONS, "CREATE TABLE run_count_deltas");
  for (const m of earlier) await pg.sql(m);
  await pg.sql(
    "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [String(earlier.length)],
  );
  await pg.sql(
    `INSERT INTO runs (${BASE_COLUMNS})
     SELECT id, workflow, 'default', status, '{}', 1, 1, 'start', id, 1, '/tmp', '[]', 'fp'
     FROM jsonb_to_recordset($1::jsonb) AS x(id text, workflow text, status text)`,
    [JSON.stringify(RUNS)],
  );

  const store = await pg.open();
  assert.deepEqual(await counted(store), EXPECTED);
  // Workers change runs concurrently while two other processes scrape (and fold) at the same time;
  // every change appends a delta, and no fold loses or counts one twice.
  const scraper = await pg.open();
  const scrapes = Array.from({ length: 6 }, (_, i) => counted(i % 2 ? store : scraper));
  await Promise.all([
    ...scrapes,
    ...RUNS.filter((r) => r.status === "running").map((r, i) =>
      store.transaction((tx) =>
        i % 2 === 0
          ? tx.updateRun(r.id, { status: "succeeded" }, ["running"])
          : tx.updateRun(r.id, { reason: "x" }),
      ),
    ),
  ]);
  for (const r of RUNS.slice(0, 40))
    await store.transaction((tx) => tx.deleteRun(r.id, ["succeeded", "failed", "cancelled"], 5));
  const table = await pg.sql(
    "SELECT workflow_id, status, count(*)::int AS n FROM runs GROUP BY workflow_id, status",
  );
  const expected = Object.fromEntries(table.map((r) => [`${r.workflow_id}/${r.status}`, Number(r.n)]));
  assert.deepEqual(await counted(store), expected);
  // Folded: one row per workflow and status is left, not one per change.
  const [{ rows }] = (await pg.sql("SELECT count(*)::int AS rows FROM run_count_deltas")) as [
    { rows: number },
  ];
  assert.ok(rows <= Object.keys(expected).length, `${rows} delta rows after a fold`);
  assert.deepEqual(await counted(store), expected, "a second scrape reads the same");
  assert.deepEqual(await counted(scraper), expected, "and so does another process");
});

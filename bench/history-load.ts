import Database from "better-sqlite3";
import type { StepHandler } from "../src/core/definition.js";
import { type Cairn, Workflow } from "../src/index.js";
import { connectPg, type PgClient } from "./report.js";
import { chain } from "./workflows.js";

/**
 * The large finished history the history bench measures against: a few runs Cairn records itself
 * (one succeeded and one failed 10-step run), cloned with INSERT … SELECT over a generated series.
 */

const WORKFLOWS = 4;
const STEPS = 10;
const YEAR_MS = 365 * 24 * 3600 * 1000;

// The template run fails at its 6th step while this is set; the resumes below find it cleared.
let failing = false;

/** Make the template's 6th step fail (true) or succeed (false) from now on. */
export function setFailing(on: boolean): void {
  failing = on;
}
const flaky: StepHandler = async () => {
  if (failing) throw new Error("bench: failing on purpose");
  return { ok: true };
};

function templateWorkflow(id: string): Workflow {
  return new Workflow(
    id,
    {},
    Array.from({ length: STEPS }, (_, i) => {
      const handler: StepHandler = i === 5 ? flaky : async () => ({ i, payload: "x".repeat(100) });
      return { id: `s${i}`, needs: i === 0 ? [] : [`s${i - 1}`], handler, source: handler.toString() };
    }),
  );
}

export const historyWorkflows = () =>
  Array.from({ length: WORKFLOWS }, (_, w) => templateWorkflow(`hist-${w}`));
export const oneStep = () => chain("live-one", 1);
export const flakyLive = () => templateWorkflow("live-flaky");

/** Records the template runs: the ids of one succeeded and one failed run of hist-0. */
export async function recordTemplates(cairn: Cairn): Promise<{ ok: string; failed: string }> {
  for (const wf of historyWorkflows()) await cairn.register(wf);
  await cairn.register(oneStep());
  await cairn.register(flakyLive());
  const ok = await (await cairn.start("hist-0", {})).result();
  failing = true;
  const failed = await (await cairn.start("hist-0", {})).result();
  failing = false;
  if (ok.status !== "succeeded" || failed.status !== "failed")
    throw new Error(`template runs ended ${ok.status} and ${failed.status}`);
  return { ok: ok.id, failed: failed.id };
}

/** Status of the i-th history run: 88% succeeded, 7% failed, 3% cancelled, 2% interrupted. */
const STATUS_SQL = (i: string) =>
  `CASE WHEN ${i} % 100 < 88 THEN 'succeeded' WHEN ${i} % 100 < 95 THEN 'failed'
        WHEN ${i} % 100 < 98 THEN 'cancelled' ELSE 'interrupted' END`;

function selectList(columns: string[], overrides: Record<string, string>): string {
  return columns.map((c) => overrides[c] ?? `t.${c}`).join(", ");
}

// ---------------------------------------------------------------------------------------------- SQLite

function sqliteColumns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
}

export function sqliteLoad(file: string, templates: { ok: string; failed: string }, n: number): void {
  const db = new Database(file);
  try {
    // Nothing here needs to survive a crash: the load is redone from scratch.
    db.pragma("journal_mode = DELETE");
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("cache_size = -262144");
    const indexes = db
      .prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('runs', 'steps', 'events', 'run_attempts')",
      )
      .all() as Array<{ name: string; sql: string }>;
    const tpl = (id: string) =>
      db.prepare("SELECT key, created_at FROM runs WHERE id = ?").get(id) as {
        key: number;
        created_at: number;
      };
    const ok = tpl(templates.ok);
    const failed = tpl(templates.failed);
    const base = (db.prepare("SELECT max(key) AS k FROM runs").get() as { k: number }).k + 1;
    const t0 = Date.now() - YEAR_MS - 3600_000;
    const spacing = Math.max(1, Math.floor(YEAR_MS / n));
    const tplKey = `CASE WHEN r.status = 'succeeded' THEN ${ok.key} ELSE ${failed.key} END`;
    const tplCreated = `CASE WHEN r.status = 'succeeded' THEN ${ok.created_at} ELSE ${failed.created_at} END`;
    const shift = (col: string) => `t.${col} + (r.created_at - ${tplCreated})`;
    db.exec("BEGIN");
    for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
    const runCols = sqliteColumns(db, "runs");
    db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${n - 1}),
        g AS (SELECT i, ${STATUS_SQL("i")} AS status FROM n)
      INSERT INTO runs (${runCols.join(", ")})
      SELECT ${selectList(runCols, {
        key: `${base} + g.i`,
        id: `'run_h' || printf('%09d', g.i)`,
        root_run_id: `'run_h' || printf('%09d', g.i)`,
        workflow_id: `'hist-' || (g.i % ${WORKFLOWS})`,
        status: "g.status",
        created_at: `${t0} + g.i * ${spacing}`,
        updated_at: `${t0} + g.i * ${spacing} + (t.updated_at - t.created_at)`,
        finished_at: `${t0} + g.i * ${spacing} + (t.finished_at - t.created_at)`,
        workdir: `'/nonexistent/cairn-history/run_h' || printf('%09d', g.i)`,
        driver_id: "NULL",
      })}
      FROM g JOIN runs t ON t.key = CASE WHEN g.status = 'succeeded' THEN ${ok.key} ELSE ${failed.key} END
      ORDER BY g.i`);
    const stepCols = sqliteColumns(db, "steps");
    db.exec(`
      INSERT INTO steps (${stepCols.join(", ")})
      SELECT ${selectList(stepCols, {
        run_key: "r.key",
        started_at: shift("started_at"),
        finished_at: shift("finished_at"),
        ready_at: shift("ready_at"),
        lease_owner: "NULL",
        lease_expires_at: "NULL",
      })}
      FROM runs r JOIN steps t ON t.run_key = ${tplKey}
      WHERE r.key >= ${base} ORDER BY r.key, t.step_id`);
    // Run-level events only (started, failed, …): every step event too would be 3× the rows.
    const eventCols = sqliteColumns(db, "events").filter((c) => c !== "seq");
    db.exec(`
      INSERT INTO events (${eventCols.join(", ")})
      SELECT ${selectList(eventCols, { run_key: "r.key", at: shift("at") })}
      FROM runs r JOIN events t ON t.run_key = ${tplKey} AND t.step_id IS NULL
      WHERE r.key >= ${base} ORDER BY r.key, t.seq`);
    const attemptCols = sqliteColumns(db, "run_attempts");
    db.exec(`
      INSERT INTO run_attempts (${attemptCols.join(", ")})
      SELECT ${selectList(attemptCols, {
        run_id: "r.id",
        at: shift("at"),
        ended_at: shift("ended_at"),
        outcome: "r.status",
      })}
      FROM runs r JOIN runs tr ON tr.key = ${tplKey} JOIN run_attempts t ON t.run_id = tr.id
      WHERE r.key >= ${base} ORDER BY r.id`);
    for (const ix of indexes) db.exec(ix.sql);
    db.exec("COMMIT");
    db.pragma("journal_mode = WAL");
  } finally {
    db.close();
  }
}

// ------------------------------------------------------------------------------------------ PostgreSQL

async function pgColumns(pg: PgClient, schema: string, table: string): Promise<string[]> {
  const { rows } = await pg.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' AND is_identity = 'NO'
     ORDER BY ordinal_position`,
    [schema, table],
  );
  return rows.map((r) => String(r.column_name));
}

export async function pgLoad(
  schema: string,
  templates: { ok: string; failed: string },
  n: number,
): Promise<void> {
  const pg = await connectPg();
  if (!pg) throw new Error("PostgreSQL went away");
  try {
    await pg.query(`SET search_path TO ${schema}`);
    await pg.query("SET synchronous_commit = off");
    await pg.query("SET maintenance_work_mem = '512MB'");
    const { rows: indexes } = await pg.query(
      `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
       WHERE i.schemaname = $1 AND i.tablename IN ('runs', 'steps', 'events', 'run_attempts')
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.connamespace = $1::regnamespace)`,
      [schema],
    );
    const tpl = async (id: string) =>
      (await pg.query("SELECT created_at FROM runs WHERE id = $1", [id])).rows[0]!.created_at as string;
    const okCreated = await tpl(templates.ok);
    const failedCreated = await tpl(templates.failed);
    const t0 = Date.now() - YEAR_MS - 3600_000;
    const spacing = Math.max(1, Math.floor(YEAR_MS / n));
    const tplId = `CASE WHEN r.status = 'succeeded' THEN '${templates.ok}' ELSE '${templates.failed}' END`;
    const tplCreated = `CASE WHEN r.status = 'succeeded' THEN ${okCreated}::bigint ELSE ${failedCreated}::bigint END`;
    const shift = (col: string) => `t.${col} + (r.created_at - ${tplCreated})`;
    const history = "r.id LIKE 'run\\_h%'";
    await pg.query("BEGIN");
    for (const ix of indexes) await pg.query(`DROP INDEX ${schema}.${String(ix.name)}`);
    const runCols = await pgColumns(pg, schema, "runs");
    const id = "'run_h' || lpad(g.i::text, 9, '0')";
    await pg.query(`
      INSERT INTO runs (${runCols.join(", ")})
      SELECT ${selectList(runCols, {
        id,
        root_run_id: id,
        workflow_id: `'hist-' || (g.i % ${WORKFLOWS})`,
        status: "g.status",
        created_at: `${t0}::bigint + g.i::bigint * ${spacing}`,
        updated_at: `${t0}::bigint + g.i::bigint * ${spacing} + (t.updated_at - t.created_at)`,
        finished_at: `${t0}::bigint + g.i::bigint * ${spacing} + (t.finished_at - t.created_at)`,
        workdir: `'/nonexistent/cairn-history/run_h' || lpad(g.i::text, 9, '0')`,
        driver_id: "NULL",
      })}
      FROM (SELECT i, ${STATUS_SQL("i")} AS status FROM generate_series(0, ${n - 1}) AS s(i)) g
      JOIN runs t ON t.id = CASE WHEN g.status = 'succeeded' THEN '${templates.ok}' ELSE '${templates.failed}' END
      ORDER BY g.i`);
    const stepCols = await pgColumns(pg, schema, "steps");
    await pg.query(`
      INSERT INTO steps (${stepCols.join(", ")})
      SELECT ${selectList(stepCols, {
        run_id: "r.id",
        started_at: shift("started_at"),
        finished_at: shift("finished_at"),
        ready_at: shift("ready_at"),
        lease_owner: "NULL",
        lease_expires_at: "NULL",
      })}
      FROM runs r JOIN steps t ON t.run_id = ${tplId}
      WHERE ${history} ORDER BY r.id, t.row_order`);
    const eventCols = await pgColumns(pg, schema, "events");
    await pg.query(`
      INSERT INTO events (${eventCols.join(", ")})
      SELECT ${selectList(eventCols, { run_id: "r.id", at: shift("at") })}
      FROM runs r JOIN events t ON t.run_id = ${tplId} AND t.step_id IS NULL
      WHERE ${history} ORDER BY r.id, t.seq`);
    const attemptCols = await pgColumns(pg, schema, "run_attempts");
    await pg.query(`
      INSERT INTO run_attempts (${attemptCols.join(", ")})
      SELECT ${selectList(attemptCols, {
        run_id: "r.id",
        at: shift("at"),
        ended_at: shift("ended_at"),
        outcome: "r.status",
      })}
      FROM runs r JOIN run_attempts t ON t.run_id = ${tplId}
      WHERE ${history}`);
    for (const ix of indexes) await pg.query(String(ix.def));
    await pg.query("COMMIT");
    // Autovacuum would analyze tables this size within minutes; the bench does not wait for it.
    await pg.query("VACUUM ANALYZE runs");
    await pg.query("VACUUM ANALYZE steps");
    await pg.query("VACUUM ANALYZE events");
    await pg.query("VACUUM ANALYZE run_attempts");
  } finally {
    await pg.end();
  }
}

import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { StepHandler } from "../src/core/definition.js";
import { Cairn, Workflow } from "../src/index.js";
import { createApp } from "../src/server/index.js";
import {
  type BenchContext,
  childArgs,
  connectPg,
  type FloorKey,
  PG_URL,
  type PgClient,
  reply,
  runChild,
  summarise,
  tempDir,
} from "./report.js";
import { chain } from "./workflows.js";

/**
 * History that does not slow anything down (issue #20): every live-path operation timed on a store with
 * a small history (BASELINE_RUNS) and on one holding a large finished history (default 1,000,000 runs and 10,000,000 steps),
 * on SQLite and on PostgreSQL. The goal is at most 2× for each.
 *
 * The history is a few runs Cairn records itself (one succeeded and one failed 10-step run), cloned
 * with INSERT … SELECT over a generated series: several workflows, mostly succeeded, some failed,
 * cancelled or interrupted, created over a year. Secondary indexes are dropped during the load and
 * created again from their own definitions, which is several times faster than maintaining them row by row.
 */

type StoreKind = "sqlite" | "postgres";

interface Args {
  kind: StoreKind;
  runs: number;
  reps: number;
}

/** Per operation: the milliseconds of each repetition, on the small store and on the large one. */
type Timings = Record<string, { small: number[]; large: number[] }>;

interface Result {
  timings: Timings;
  buildSeconds: number;
  runs: number;
  steps: number;
  events: number;
  bytes: number | null;
}

const WORKFLOWS = 4;
/**
 * The baseline is a store with this many runs rather than none: an empty store answers every list
 * with an empty page, and the ratio would then measure the page size, not the history. 4,000 runs
 * (over 4 workflows, 7% failed) are the fewest that fill every page measured here.
 */
const BASELINE_RUNS = 4000;
const STEPS = 10;
const YEAR_MS = 365 * 24 * 3600 * 1000;

// The template run fails at its 6th step while this is set; the resumes below find it cleared.
let failing = false;
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
const oneStep = () => chain("live-one", 1);
const flakyLive = () => templateWorkflow("live-flaky");

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

// ------------------------------------------------------------------------------------------ Measuring

/** Milliseconds of each operation, `reps` times each, on one open store. */
async function measure(cairn: Cairn, reps: number): Promise<Record<string, number[]>> {
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const out: Record<string, number[]> = {};
  const add = (name: string, ms: number) => {
    out[name] ??= [];
    out[name].push(ms);
  };
  const api = createApp({ cairn, auth: "none" });
  // Warm: code compiled, statements prepared, pages cached, as in a server that has been up a while.
  for (let w = 0; w < 3; w++) {
    await (await cairn.start("live-one", {})).result();
    await cairn.list({ limit: 50 });
    await api.request("/api/runs?limit=50");
  }
  for (let rep = 0; rep < reps; rep++) {
    add(
      "start a 1-step run, to its completion",
      await time(async () => {
        const run = await (await cairn.start("live-one", {})).result();
        if (run.status !== "succeeded") throw new Error(`live run ${run.status}`);
      }),
    );
    add("list: first page (50)", await time(() => cairn.list({ limit: 50 })));
    add("list: status failed, first page", await time(() => cairn.list({ limit: 50, status: "failed" })));
    add(
      "list: workflow hist-1, first page",
      await time(() => cairn.list({ limit: 50, workflowId: "hist-1" })),
    );
    add(
      "list: workflow hist-1 and status succeeded",
      await time(() => cairn.list({ limit: 50, workflowId: "hist-1", status: "succeeded" })),
    );
    add("latestFailed(hist-1)", await time(() => cairn.latestFailed("hist-1")));
    failing = true;
    const failed = await (await cairn.start("live-flaky", {})).result();
    failing = false;
    if (failed.status !== "failed") throw new Error(`flaky run ${failed.status}`);
    add(
      "resume a failed 10-step run, to its completion",
      await time(async () => {
        const run = await (await cairn.resume(failed.id)).result();
        if (run.status !== "succeeded") throw new Error(`resumed run ${run.status}`);
      }),
    );
    add("recover(): the recovery scan", await time(() => cairn.recover()));
    // A new app each time: its first scrape reads the counts from the store (later ones may be cached).
    const fresh = createApp({ cairn, auth: "none" });
    add(
      "GET /metrics (counts read)",
      await time(async () => {
        const res = await fresh.request("/metrics");
        if (res.status !== 200) throw new Error(`/metrics ${res.status}`);
        await res.text();
      }),
    );
    add(
      "GET /api/runs?limit=50",
      await time(async () => {
        const res = await api.request("/api/runs?limit=50");
        if (res.status !== 200) throw new Error(`/api/runs ${res.status}`);
        await res.json();
      }),
    );
    add(
      "GET /api/runs?status=running&limit=50",
      await time(async () => {
        const res = await api.request("/api/runs?status=running&limit=50");
        if (res.status !== 200) throw new Error(`/api/runs ${res.status}`);
        await res.json();
      }),
    );
    add(
      "GET /api/runs?status=failed&limit=50",
      await time(async () => {
        const res = await api.request("/api/runs?status=failed&limit=50");
        if (res.status !== 200) throw new Error(`/api/runs ${res.status}`);
        await res.json();
      }),
    );
  }
  return out;
}

function pgUrl(schema: string): string {
  const url = new URL(PG_URL);
  url.searchParams.set("schema", schema);
  return url.toString();
}

async function child({ kind, runs, reps }: Args): Promise<Result> {
  const dir = tempDir("history");
  const schemas = [`bench_history_small_${process.pid}`, `bench_history_${process.pid}`];
  const location = (which: 0 | 1) =>
    kind === "sqlite" ? path.join(dir, `${which ? "large" : "small"}.db`) : pgUrl(schemas[which]!);
  const timings: Timings = {};
  // Records the template runs through the engine, then clones them into a history of `n` runs.
  const build = async (which: 0 | 1, n: number) => {
    const cairn = await Cairn.open({ db: location(which), recover: false });
    const templates = await recordTemplates(cairn);
    await cairn.close();
    if (kind === "sqlite") sqliteLoad(location(which), templates, n);
    else await pgLoad(schemas[which]!, templates, n);
  };
  const measureOn = async (which: 0 | 1) => {
    const cairn = await Cairn.open({ db: location(which), recover: false });
    for (const wf of [...historyWorkflows(), oneStep(), flakyLive()]) await cairn.register(wf);
    const ms = await measure(cairn, reps);
    await cairn.close();
    return ms;
  };
  try {
    await build(0, BASELINE_RUNS);
    const smallMs = await measureOn(0);
    const tLoad = performance.now();
    await build(1, runs);
    const buildSeconds = (performance.now() - tLoad) / 1000;
    const largeMs = await measureOn(1);
    for (const [name, values] of Object.entries(smallMs))
      timings[name] = { small: values, large: largeMs[name] ?? [] };

    const sizes = await countRows(kind, location(1), schemas[1]!);
    return { timings, buildSeconds, ...sizes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    if (kind === "postgres") {
      const pg = await connectPg();
      for (const s of schemas) await pg?.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
      await pg?.end();
    }
  }
}

async function countRows(
  kind: StoreKind,
  file: string,
  schema: string,
): Promise<{ runs: number; steps: number; events: number; bytes: number | null }> {
  const tables = ["runs", "steps", "events"] as const;
  if (kind === "sqlite") {
    const db = new Database(file, { readonly: true });
    try {
      const [runs, steps, events] = tables.map(
        (t) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
      );
      return { runs: runs!, steps: steps!, events: events!, bytes: fs.statSync(file).size };
    } finally {
      db.close();
    }
  }
  const pg = (await connectPg())!;
  try {
    const counted: number[] = [];
    for (const t of tables)
      counted.push(Number((await pg.query(`SELECT count(*) AS n FROM ${schema}.${t}`)).rows[0]!.n));
    const [runs, steps, events] = counted;
    const { rows } = await pg.query(
      `SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c
       WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r'`,
      [schema],
    );
    return { runs: runs!, steps: steps!, events: events!, bytes: Number(rows[0]!.bytes) };
  } finally {
    await pg.end();
  }
}

export async function history(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 100_000 : 1_000_000;
  const reps = ctx.quick ? 9 : 15;
  const pg = await connectPg();
  await pg?.end();
  const kinds: StoreKind[] = pg ? ["sqlite", "postgres"] : ["sqlite"];
  if (!pg) ctx.skipped.push({ scenario: "history", reason: `PostgreSQL: no server reachable at ${PG_URL}` });
  for (const kind of kinds) {
    const label = kind === "sqlite" ? "SQLite" : "PostgreSQL";
    ctx.log(
      `history ${label}: ${BASELINE_RUNS.toLocaleString("en-US")}, then ${runs.toLocaleString("en-US")} finished runs`,
    );
    const r = await runChild<Result>("history.ts", { kind, runs, reps } satisfies Args, {
      timeoutMs: 4 * 3600_000,
    });
    const floor: FloorKey = kind === "sqlite" ? "sqlite-full" : "postgres";
    const mib = r.bytes === null ? "" : `, ${Math.round(r.bytes / 1048576).toLocaleString("en-US")} MiB`;
    ctx.log(
      `history ${label}: ${r.runs.toLocaleString("en-US")} runs, ${r.steps.toLocaleString("en-US")} steps, ${r.events.toLocaleString("en-US")} events${mib}, built in ${r.buildSeconds.toFixed(0)} s`,
    );
    ctx.figures.push({
      scenario: "history",
      name: `${label}: build ${r.runs.toLocaleString("en-US")} runs, ${r.steps.toLocaleString("en-US")} steps`,
      unit: "s",
      values: [r.buildSeconds],
    });
    for (const [name, { small, large }] of Object.entries(r.timings)) {
      const ratio = summarise(large).median / summarise(small).median;
      ctx.figures.push({
        scenario: "history",
        name: `${label}, ${BASELINE_RUNS.toLocaleString("en-US")} runs: ${name}`,
        unit: "ms",
        values: small,
        floor,
      });
      ctx.figures.push({
        scenario: "history",
        name: `${label}, ${runs.toLocaleString("en-US")} runs: ${name}`,
        unit: "ms",
        values: large,
        floor,
      });
      ctx.figures.push({
        scenario: "history",
        name: `${label}, ratio: ${name}${ratio > 2 ? "  (over 2×)" : ""}`,
        unit: "×",
        values: [ratio],
      });
    }
  }
}

const args = childArgs<Args>(import.meta.url);
if (args) reply(await child(args));

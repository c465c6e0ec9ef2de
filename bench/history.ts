import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Cairn } from "../src/index.js";
import { createApp } from "../src/server/index.js";
import {
  flakyLive,
  historyWorkflows,
  oneStep,
  pgLoad,
  recordTemplates,
  setFailing,
  sqliteLoad,
} from "./history-load.js";
import {
  type BenchContext,
  childArgs,
  connectPg,
  type FloorKey,
  PG_URL,
  reply,
  runChild,
  summarise,
  tempDir,
} from "./report.js";

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

/**
 * The baseline is a store with this many runs rather than none: an empty store answers every list
 * with an empty page, and the ratio would then measure the page size, not the history. 4,000 runs
 * (over 4 workflows, 7% failed) are the fewest that fill every page measured here.
 */
const BASELINE_RUNS = 4000;

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
    add("list: status failed, first page", await time(() => cairn.list({ limit: 50, statuses: ["failed"] })));
    add(
      "list: workflow hist-1, first page",
      await time(() => cairn.list({ limit: 50, workflowId: "hist-1" })),
    );
    add(
      "list: workflow hist-1 and status succeeded",
      await time(() => cairn.list({ limit: 50, workflowId: "hist-1", statuses: ["succeeded"] })),
    );
    add("latestFailed(hist-1)", await time(() => cairn.latestFailed("hist-1")));
    setFailing(true);
    const failed = await (await cairn.start("live-flaky", {})).result();
    setFailing(false);
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

import fs from "node:fs";
import path from "node:path";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, workflow } from "../src/index.js";
import { PostgresStore } from "../src/store/postgres/postgres-store.js";
import {
  type BenchContext,
  type Columns,
  childArgs,
  connectPg,
  PG_URL,
  repeat,
  reply,
  runChild,
} from "./report.js";
import { openBench } from "./workflows.js";

/**
 * A map step of `items` no-op items on SQLite, concurrency 100 (the targets: ≤ 1 s wall,
 * ≤ 100 µs and ≤ 250 store bytes per item); then 10 of its items fail and a resume executes exactly
 * those. On PostgreSQL: the same map in one process (a map step runs in the worker that claimed it),
 * its items per second read against PostgreSQL's single-row commits per second.
 */
interface Args {
  reps: number;
  items: number;
  store?: "sqlite" | "postgres";
}
interface Result {
  wallMs: number;
  usPerItem: number;
  bytesPerItem: number;
  commits: number;
  resumeMs: number;
  /** From resume() on a freshly opened Cairn to the first item executing. */
  resumeFirstItemMs: number;
  resumeExecutions: number;
}

function storeBytes(db: string): number {
  return [db, `${db}-wal`].reduce((n, f) => n + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
}

async function child({ items }: Args): Promise<Result> {
  const { cairn, dir, db } = await openBench("map", { durability: "full" });
  const list = Array.from({ length: items }, (_, i) => i);
  const state = { failing: false, executions: 0, firstAt: 0 };
  const wf = workflow<number[]>("map-bench").map("each", { items: "$input", concurrency: 100 }, async (i) => {
    state.executions++;
    state.firstAt ||= performance.now();
    if (state.failing && i % (items / 10) === 0) throw new Error(`item ${i} fails`);
    return i;
  });
  await cairn.register(wf);
  const bytes = storeBytes(db);
  const commits = storeOf(cairn).stats.commits;
  const t0 = performance.now();
  const run = await (await cairn.start(wf, list)).result();
  const wallMs = performance.now() - t0;
  if (run.status !== "succeeded") throw new Error(`run ${run.status}`);
  const result = {
    wallMs,
    usPerItem: (wallMs * 1000) / items,
    bytesPerItem: (storeBytes(db) - bytes) / items,
    commits: storeOf(cairn).stats.commits - commits,
  };
  state.failing = true;
  const failed = await (await cairn.start(wf, list)).result();
  if (failed.status !== "failed") throw new Error(`run ${failed.status}`);
  state.failing = false;
  state.executions = 0;
  // The resume comes from a Cairn opened afresh on the store, as a new process's would.
  await cairn.close();
  const fresh = await Cairn.open({ db, recover: false, durability: "full" });
  await fresh.register(wf);
  state.firstAt = 0;
  const t1 = performance.now();
  const resumed = await (await fresh.resume(failed.id)).result();
  const resumeMs = performance.now() - t1;
  if (resumed.status !== "succeeded") throw new Error(`resume ${resumed.status}`);
  await fresh.close();
  fs.rmSync(path.dirname(db), { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  return { ...result, resumeMs, resumeFirstItemMs: state.firstAt - t1, resumeExecutions: state.executions };
}

export async function mapScenario(ctx: BenchContext): Promise<void> {
  const items = ctx.quick ? 1000 : 10_000;
  ctx.log(`map of ${items} items, FULL, concurrency 100`);
  const r = await runChild<Columns<Result>>("map.ts", { reps: ctx.reps, items } satisfies Args);
  const label = `${items} no-op items, FULL, concurrency 100`;
  ctx.figures.push(
    { scenario: "map", name: `${label}: wall`, unit: "ms", values: r.wallMs, floor: "sqlite-full" },
    { scenario: "map", name: `${label}: per item`, unit: "µs", values: r.usPerItem },
    {
      scenario: "map",
      name: `${label}: store bytes per item (rows + output)`,
      unit: "B",
      values: r.bytesPerItem,
    },
    { scenario: "map", name: `${label}: commits`, unit: "", values: r.commits },
    {
      scenario: "map",
      name: `${label}: resume after 10 failed: wall`,
      unit: "ms",
      values: r.resumeMs,
      floor: "sqlite-full",
    },
    {
      scenario: "map",
      name: `${label}: resume after 10 failed: resume() to first item, Cairn opened afresh`,
      unit: "ms",
      values: r.resumeFirstItemMs,
    },
    {
      scenario: "map",
      name: `${label}: resume after 10 failed: item executions`,
      unit: "",
      values: r.resumeExecutions,
    },
  );
  await pgMapScenario(ctx, items);
}

interface PgResult {
  itemsPerSec: number;
  commits: number;
}

/** One map of `items` no-op items on a fresh PostgreSQL schema, executed by this process. */
async function pgChild({ items }: Args): Promise<PgResult> {
  const schema = `cairn_bench_map_${process.pid}_${Date.now() % 1e6}`;
  const store = await PostgresStore.open(PG_URL, { schema });
  const cairn = await Cairn.open({ db: store, recover: false });
  try {
    const wf = workflow<number[]>("map-bench").map(
      "each",
      { items: "$input", concurrency: 100 },
      async (i) => i,
    );
    await cairn.register(wf);
    await (await cairn.start(wf, [1])).result(); // warm the connections
    const commits = store.stats.commits;
    const t0 = performance.now();
    const run = await (
      await cairn.start(
        wf,
        Array.from({ length: items }, (_, i) => i),
      )
    ).result();
    const s = (performance.now() - t0) / 1000;
    if (run.status !== "succeeded") throw new Error(`run ${run.status}`);
    return { itemsPerSec: items / s, commits: store.stats.commits - commits };
  } finally {
    await cairn.close();
    await store.close();
    const pg = await connectPg();
    await pg?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pg?.end();
  }
}

async function pgMapScenario(ctx: BenchContext, items: number): Promise<void> {
  const pg = await connectPg();
  await pg?.end();
  if (!pg) {
    ctx.skipped.push({ scenario: "map", reason: `PostgreSQL: no server reachable at ${PG_URL}` });
    return;
  }
  ctx.log(`map of ${items} items on PostgreSQL, one worker, concurrency 100`);
  const r = await runChild<Columns<PgResult>>("map.ts", {
    reps: ctx.reps,
    items,
    store: "postgres",
  } satisfies Args);
  const label = `PostgreSQL, ${items} no-op items, one worker, concurrency 100`;
  ctx.figures.push(
    {
      scenario: "map",
      name: `${label}: items/s`,
      unit: "/s",
      values: r.itemsPerSec,
      floor: "postgres",
      perSecond: true,
    },
    { scenario: "map", name: `${label}: commits`, unit: "", values: r.commits },
  );
}

const args = childArgs<Args>(import.meta.url);
if (args?.store === "postgres") reply(await repeat(args.reps, () => pgChild(args)));
else if (args) reply(await repeat(args.reps, () => child(args)));

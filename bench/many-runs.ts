import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, type Store } from "../src/index.js";
import {
  type BenchContext,
  type Columns,
  childArgs,
  connectPg,
  type Figure,
  type FloorKey,
  PG_URL,
  ROOT,
  repeat,
  reply,
  runChild,
} from "./report.js";
import { spawnWorker, type WorkerProcess } from "./worker-processes.js";
import { chain, openBench, warmUp } from "./workflows.js";

/** Many runs started at once: 1,000 runs of 10 steps. SQLite in one process; PostgreSQL with 1, 2 and 4 workers. */
const STEPS = 10;
const tenSteps = () => chain("ten-steps", STEPS);

type Args =
  | { mode: "sqlite"; reps: number; runs: number; durability: "full" | "normal" }
  | { mode: "pg-worker"; schema: string };

interface Result {
  runsPerSec: number;
  stepsPerSec: number;
  commitsPerStep: number;
}

async function sqliteChild(runs: number, durability: "full" | "normal"): Promise<Result> {
  const { cairn, dir } = await openBench("many", { durability });
  const wf = tenSteps();
  await Promise.all(Array.from({ length: 20 }, () => warmUp(cairn, wf)));
  const commits = storeOf(cairn).stats.commits;
  const t0 = performance.now();
  const handles = await Promise.all(Array.from({ length: runs }, () => cairn.start(wf, {})));
  const done = await Promise.all(handles.map((h) => h.result()));
  const s = (performance.now() - t0) / 1000;
  if (done.some((r) => r.status !== "succeeded")) throw new Error("a run did not succeed");
  const result = {
    runsPerSec: runs / s,
    stepsPerSec: (runs * STEPS) / s,
    commitsPerStep: (storeOf(cairn).stats.commits - commits) / (runs * STEPS),
  };
  await cairn.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

interface PgStoreModule {
  PostgresStore: { open(url: string, options: { schema: string }): Promise<Store> };
}

/** The PostgreSQL store, or why it cannot be used: it may not exist yet in this checkout. */
async function loadPgStore(): Promise<PgStoreModule | string> {
  const file = path.join(ROOT, "src/store/postgres/postgres-store.ts");
  if (!fs.existsSync(file))
    return "the PostgreSQL store (src/store/postgres/postgres-store.ts) does not exist";
  try {
    const mod = (await import(pathToFileURL(file).href)) as Partial<PgStoreModule>;
    if (typeof mod.PostgresStore?.open !== "function")
      return "postgres-store.ts exports no PostgresStore.open";
    return mod as PgStoreModule;
  } catch (error) {
    return `the PostgreSQL store does not load: ${(error as Error).message.split("\n")[0]}`;
  }
}

/** A worker process: executes any run of the workflow in its schema until SIGTERM. */
async function pgWorker(schema: string): Promise<void> {
  const mod = await loadPgStore();
  if (typeof mod === "string") throw new Error(mod);
  const store = await mod.PostgresStore.open(PG_URL, { schema });
  const cairn = await Cairn.open({ db: store, recover: false });
  await cairn.register(tenSteps());
  const commits = store.stats.commits;
  process.on("SIGTERM", () => {
    void cairn
      .close()
      .then(() => store.close())
      .then(() => reply({ commits: store.stats.commits - commits }));
  });
  process.stdout.write("ready\n");
}

/**
 * `workers` worker processes on one fresh schema; the runs are started by a client with no executor,
 * so any worker may claim them. The workers are started once and serve every repetition.
 */
async function pgScenario(
  mod: PgStoreModule,
  workers: number,
  runs: number,
  reps: number,
): Promise<Result[]> {
  const schema = `cairn_bench_${process.pid}_${workers}_${Date.now() % 1e6}`;
  const store = await mod.PostgresStore.open(PG_URL, { schema });
  const client = await Cairn.open({ db: store, execute: false });
  const procs: WorkerProcess[] = [];
  try {
    const wf = tenSteps();
    await client.register(wf);
    for (let w = 0; w < workers; w++) procs.push(spawnWorker("many-runs.ts", { mode: "pg-worker", schema }));
    await Promise.all(procs.map((p) => p.ready));
    const results: Result[] = [];
    for (let rep = 1; rep <= reps; rep++) {
      const t0 = performance.now();
      await Promise.all(Array.from({ length: runs }, () => client.start(wf, {})));
      for (;;) {
        const counts = await store.countRunsByStatus();
        if (counts.some((c) => c.status !== "succeeded" && c.status !== "running"))
          throw new Error("a run did not succeed");
        if ((counts.find((c) => c.status === "succeeded")?.count ?? 0) >= rep * runs) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const s = (performance.now() - t0) / 1000;
      results.push({ runsPerSec: runs / s, stepsPerSec: (runs * STEPS) / s, commitsPerStep: Number.NaN });
    }
    for (const p of procs) p.child.kill("SIGTERM");
    const commits = (await Promise.all(procs.map((p) => p.exited)))
      .map((r) => (r as { commits?: number } | null)?.commits ?? Number.NaN)
      .reduce((a, b) => a + b, 0);
    for (const r of results) r.commitsPerStep = commits / (reps * runs * STEPS);
    return results;
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await client.close();
    await store.close();
    const pg = await connectPg();
    await pg?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pg?.end();
  }
}

export async function manyRuns(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 50 : 1000;
  const size = `${runs.toLocaleString("en-US")} runs × ${STEPS} steps`;
  const pgRuns = ctx.quick ? 20 : 1000;
  const pgSize = `${pgRuns.toLocaleString("en-US")} runs × ${STEPS} steps`;
  for (const durability of ["full", "normal"] as const) {
    ctx.log(`many runs SQLite ${durability.toUpperCase()}`);
    // All repetitions in one child (a fresh store each): nothing here measures memory.
    const r = await runChild<Columns<Result>>("many-runs.ts", {
      mode: "sqlite",
      reps: ctx.reps,
      runs,
      durability,
    } satisfies Args);
    const floor = durability === "full" ? "sqlite-full" : "sqlite-normal";
    const label = `SQLite ${durability.toUpperCase()}, ${size}`;
    ctx.figures.push(...throughput(label, r, floor));
  }
  const pg = await connectPg();
  await pg?.end();
  if (!pg) {
    ctx.skipped.push({ scenario: "many runs", reason: `PostgreSQL: no server reachable at ${PG_URL}` });
    return;
  }
  const mod = await loadPgStore();
  if (typeof mod === "string") {
    ctx.skipped.push({ scenario: "many runs", reason: `PostgreSQL: ${mod}` });
    return;
  }
  for (const workers of [1, 2, 4]) {
    ctx.log(`many runs PostgreSQL, ${workers} worker(s)`);
    try {
      const results = await pgScenario(mod, workers, pgRuns, ctx.reps);
      const r = {
        runsPerSec: results.map((x) => x.runsPerSec),
        stepsPerSec: results.map((x) => x.stepsPerSec),
        commitsPerStep: results.map((x) => x.commitsPerStep),
      };
      const label = `PostgreSQL, ${workers} worker process${workers > 1 ? "es" : ""}, ${pgSize}`;
      ctx.figures.push(...throughput(label, r, "postgres"));
    } catch (error) {
      ctx.skipped.push({
        scenario: "many runs",
        reason: `PostgreSQL with ${workers} workers failed: ${(error as Error).message.split("\n")[0]}`,
      });
    }
  }
}

/** The three figures of one many-runs configuration. */
function throughput(
  label: string,
  r: { runsPerSec: number[]; stepsPerSec: number[]; commitsPerStep: number[] },
  floor: FloorKey,
): Figure[] {
  return [
    { scenario: "many runs", name: `${label}: runs/s`, unit: "/s", values: r.runsPerSec },
    {
      scenario: "many runs",
      name: `${label}: steps/s`,
      unit: "/s",
      values: r.stepsPerSec,
      floor,
      perSecond: true,
    },
    { scenario: "many runs", name: `${label}: commits per step`, unit: "", values: r.commitsPerStep },
  ];
}

const args = childArgs<Args>(import.meta.url);
if (args?.mode === "sqlite") {
  const { reps, runs, durability } = args;
  reply(await repeat(reps, () => sqliteChild(runs, durability)));
}
if (args?.mode === "pg-worker") await pgWorker(args.schema);

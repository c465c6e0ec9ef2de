import { Cairn, workflow } from "../src/index.js";
import { PostgresStore } from "../src/store/postgres/postgres-store.js";
import { type BenchContext, childArgs, connectPg, type Figure, PG_URL, reply } from "./report.js";
import { spawnWorker, type WorkerProcess } from "./worker-processes.js";

/**
 * Map steps on PostgreSQL with 1 and 4 worker processes. A map step runs in the worker that claimed
 * it, so the items are spread over workers as several maps: `MAPS` runs of one map each, started at
 * once by a client that executes nothing, their items splitting the total. Each worker executes one
 * step at a time (concurrency 1), so with 4 workers each map runs in its own; with 1 worker the maps
 * run one after another. Items run 100 at a time within a map. Items per second is the total over
 * the wall time from the first start to the last run's success, read against PostgreSQL's
 * single-row commits per second from the floor of the same bench run.
 */
const MAPS = 4;

interface WorkerArgs {
  mode: "pg-map-worker";
  schema: string;
}
interface WorkerReport {
  commits: number;
  items: number;
  /** CPU time the worker process used (user + system), µs. */
  cpuUs: number;
}

function mapWorkflow(state: { items: number }) {
  return workflow<number[]>("map-bench").map("each", { items: "$input", concurrency: 100 }, async (i) => {
    state.items++;
    return i;
  });
}

async function worker({ schema }: WorkerArgs): Promise<void> {
  const store = await PostgresStore.open(PG_URL, { schema });
  const cairn = await Cairn.open({ db: store, recover: false, concurrency: 1 });
  const state = { items: 0 };
  await cairn.register(mapWorkflow(state));
  const commits = store.stats.commits;
  const cpu = process.cpuUsage();
  process.on("SIGTERM", () => {
    const { user, system } = process.cpuUsage(cpu);
    const report = { commits: store.stats.commits - commits, items: state.items, cpuUs: user + system };
    void cairn
      .close()
      .then(() => store.close())
      .then(() => reply(report satisfies WorkerReport));
  });
  process.stdout.write("ready\n");
}

interface Round {
  itemsPerSec: number;
}

/** `workers` processes on a fresh schema; a warm-up round, then `reps` measured rounds of `items` items. */
async function rounds(
  workers: number,
  items: number,
  reps: number,
): Promise<{ rounds: Round[]; reports: WorkerReport[] }> {
  const schema = `cairn_bench_map_${process.pid}_${workers}_${Date.now() % 1e6}`;
  const store = await PostgresStore.open(PG_URL, { schema });
  const client = await Cairn.open({ db: store, execute: false });
  const procs: WorkerProcess[] = [];
  try {
    const wf = mapWorkflow({ items: 0 });
    await client.register(wf);
    for (let w = 0; w < workers; w++)
      procs.push(spawnWorker("map-postgres.ts", { mode: "pg-map-worker", schema } satisfies WorkerArgs));
    await Promise.all(procs.map((p) => p.ready));
    let started = 0;
    const round = async (perMap: number): Promise<number> => {
      const list = Array.from({ length: perMap }, (_, i) => i);
      const t0 = performance.now();
      await Promise.all(Array.from({ length: MAPS }, () => client.start(wf, list)));
      started += MAPS;
      for (;;) {
        const counts = await store.countRunsByStatus();
        if (counts.some((c) => c.status !== "succeeded" && c.status !== "running"))
          throw new Error(`a run did not succeed: ${JSON.stringify(counts)}`);
        if ((counts.find((c) => c.status === "succeeded")?.count ?? 0) >= started) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      return (performance.now() - t0) / 1000;
    };
    await round(100); // warm the workers: JIT, statements, connections
    const measured: Round[] = [];
    for (let rep = 0; rep < reps; rep++) measured.push({ itemsPerSec: items / (await round(items / MAPS)) });
    for (const p of procs) p.child.kill("SIGTERM");
    const reports = (await Promise.all(procs.map((p) => p.exited))) as WorkerReport[];
    return { rounds: measured, reports };
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await client.close();
    await store.close();
    const pg = await connectPg();
    await pg?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pg?.end();
  }
}

export async function pgMapScenario(ctx: BenchContext, items: number): Promise<void> {
  const pg = await connectPg();
  await pg?.end();
  if (!pg) {
    ctx.skipped.push({ scenario: "map", reason: `PostgreSQL: no server reachable at ${PG_URL}` });
    return;
  }
  for (const workers of [1, 4]) {
    ctx.log(`map on PostgreSQL: ${items} items as ${MAPS} maps, ${workers} worker process(es)`);
    const { rounds: r, reports } = await rounds(workers, items, ctx.reps);
    const executed = reports.reduce((n, w) => n + w.items, 0);
    ctx.log(`  items executed per worker (warm-up included): ${reports.map((w) => w.items).join(", ")}`);
    const label = `PostgreSQL, ${items} no-op items as ${MAPS} maps of ${items / MAPS}, ${workers} worker process${workers > 1 ? "es" : ""}`;
    const itemsPerSec = r.map((x) => x.itemsPerSec);
    const figures: Figure[] = [
      {
        scenario: "map",
        name: `${label}: items/s`,
        unit: "/s",
        values: itemsPerSec,
        floor: "postgres",
        perSecond: true,
      },
    ];
    const floorUs = ctx.floors.postgres;
    if (floorUs !== undefined)
      figures.push({
        scenario: "map",
        name: `${label}: items/s ÷ one-row commits/s (floor)`,
        unit: "×",
        values: itemsPerSec.map((v) => (v * floorUs) / 1e6),
      });
    figures.push(
      {
        scenario: "map",
        name: `${label}: worker commits per 1,000 items`,
        unit: "",
        values: [(1000 * reports.reduce((n, w) => n + w.commits, 0)) / executed],
      },
      {
        scenario: "map",
        name: `${label}: worker CPU per item (all workers)`,
        unit: "µs",
        values: [reports.reduce((n, w) => n + w.cpuUs, 0) / executed],
      },
      {
        scenario: "map",
        name: `${label}: share of items executed by the busiest worker`,
        unit: "%",
        values: [(100 * Math.max(...reports.map((w) => w.items))) / executed],
      },
    );
    ctx.figures.push(...figures);
  }
}

const args = childArgs<WorkerArgs>(import.meta.url);
if (args?.mode === "pg-map-worker") await worker(args);

import fs from "node:fs";
import path from "node:path";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, workflow } from "../src/index.js";
import { pgMapScenario } from "./map-postgres.js";
import { type BenchContext, type Columns, childArgs, repeat, reply, runChild } from "./report.js";
import { pagesInUse } from "./store-growth.js";
import { openBench } from "./workflows.js";

/**
 * A map step of `items` no-op items on SQLite, concurrency 100 (the targets: ≤ 1 s wall,
 * ≤ 100 µs and ≤ 250 store bytes per item); then 10 of its items fail and a resume executes exactly
 * those. On PostgreSQL (map-postgres.ts): the same number of items over 1 and 4 worker processes.
 */
interface Args {
  reps: number;
  items: number;
}
interface Result {
  wallMs: number;
  usPerItem: number;
  /** What the run added to the store (pages in use after a checkpoint), per item: everything. */
  bytesPerItem: number;
  /** Of which the item rows and their indexes. */
  itemRowBytesPerItem: number;
  /** Of which the steps table: the map's output list. */
  outputListBytesPerItem: number;
  /** Of which the runs table: the run's input, the list the map runs over. */
  inputBytesPerItem: number;
  /** How much the WAL file grew during the map: the pages its commits wrote, before a checkpoint. */
  walBytesPerItem: number;
  commits: number;
  resumeMs: number;
  /** From resume() on a freshly opened Cairn to the first item executing. */
  resumeFirstItemMs: number;
  resumeExecutions: number;
}

const fileSize = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);

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
  const before = pagesInUse(db); // checkpoints the WAL, and truncates it
  const commits = storeOf(cairn).stats.commits;
  const t0 = performance.now();
  const run = await (await cairn.start(wf, list)).result();
  const wallMs = performance.now() - t0;
  if (run.status !== "succeeded") throw new Error(`run ${run.status}`);
  const walBytes = fileSize(`${db}-wal`);
  const after = pagesInUse(db);
  const grew = (name: string) => ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / items;
  const itemTables = [...after.keys()].filter((name) => name.startsWith("step_items"));
  const result = {
    wallMs,
    usPerItem: (wallMs * 1000) / items,
    bytesPerItem: [...after.keys()].reduce((n, name) => n + grew(name), 0),
    itemRowBytesPerItem: itemTables.reduce((n, name) => n + grew(name), 0),
    outputListBytesPerItem: grew("steps"),
    inputBytesPerItem: grew("runs"),
    walBytesPerItem: walBytes / items,
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
      name: `${label}: store bytes per item (pages in use after a checkpoint)`,
      unit: "B",
      values: r.bytesPerItem,
    },
    {
      scenario: "map",
      name: "  of which item rows and their indexes",
      unit: "B",
      values: r.itemRowBytesPerItem,
    },
    {
      scenario: "map",
      name: "  of which the map's output list",
      unit: "B",
      values: r.outputListBytesPerItem,
    },
    {
      scenario: "map",
      name: "  of which the run's input (the list)",
      unit: "B",
      values: r.inputBytesPerItem,
    },
    {
      scenario: "map",
      name: `${label}: WAL written per item (the WAL's growth, before a checkpoint)`,
      unit: "B",
      values: r.walBytesPerItem,
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

const args = childArgs<Args>(import.meta.url);
if (args) reply(await repeat(args.reps, () => child(args)));

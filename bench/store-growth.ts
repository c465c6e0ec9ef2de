import fs from "node:fs";
import Database from "better-sqlite3";
import { type BenchContext, childArgs, repeat, reply, runChild } from "./report.js";
import { chain, openBench } from "./workflows.js";

/** Bytes the store grows by per recorded step whose output is `{ i, payload: 100 bytes }`. */
interface Args {
  reps: number;
  n: number;
}

/** Bytes used per table and index (pages in use, after a checkpoint folds the WAL into the file). */
export function pagesInUse(file: string): Map<string, number> {
  const db = new Database(file);
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
    const rows = db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all() as Array<{
      name: string;
      bytes: number;
    }>;
    return new Map(rows.map((r) => [r.name, r.bytes]));
  } finally {
    db.close();
  }
}

async function child({ n }: Args): Promise<Record<string, number>> {
  const { cairn, dir, db } = await openBench("growth", { durability: "normal" });
  const wf = chain(`growth-${n}`, n);
  await cairn.register(wf);
  const before = pagesInUse(db);
  const run = await (await cairn.start(wf, {})).result();
  if (run.status !== "succeeded") throw new Error(`run ${run.status}`);
  await cairn.close();
  const after = pagesInUse(db);
  fs.rmSync(dir, { recursive: true, force: true });
  const result: Record<string, number> = {};
  let total = 0;
  for (const [name, bytes] of after) {
    const grew = (bytes - (before.get(name) ?? 0)) / n;
    total += grew;
    if (grew > 0.5) result[name] = grew;
  }
  return { total, ...result };
}

export async function storeGrowth(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 500 : 5000;
  ctx.log(`store growth, ${n} steps`);
  // All repetitions in one child (a fresh store each): nothing here measures memory.
  const r = await runChild<Record<string, number[]>>("store-growth.ts", { reps: ctx.reps, n } satisfies Args);
  const { total, ...parts } = r;
  ctx.figures.push({
    scenario: "store growth",
    name: `bytes per recorded step (chain of ${n})`,
    unit: "B",
    values: total!,
  });
  for (const [name, values] of Object.entries(parts).sort((a, b) => b[1][0]! - a[1][0]!))
    ctx.figures.push({ scenario: "store growth", name: `  of which ${name}`, unit: "B", values });
}

const args = childArgs<Args>(import.meta.url);
if (args) reply(await repeat(args.reps, () => child(args)));

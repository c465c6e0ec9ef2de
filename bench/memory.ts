import { type BenchContext, repeat, runChild } from "./report.js";
import { ensureDist } from "./resume.js";

/**
 * Peak RSS of one very long run and of many concurrent small runs, each in its own process on the
 * built package (bench/memory-child.mjs); and whether memory grows with the number of finished runs
 * (heap after a forced GC, round after round).
 */
export async function memory(ctx: BenchContext): Promise<void> {
  const unbuilt = ensureDist(ctx);
  if (unbuilt) {
    ctx.skipped.push({ scenario: "memory", reason: unbuilt });
    return;
  }
  const n = ctx.quick ? 2000 : 100_000;
  const runs = ctx.quick ? 500 : 10_000;
  const label = (k: number) => k.toLocaleString("en-US");
  ctx.log(`memory: one run of ${label(n)} steps`);
  const long = await repeat(ctx.reps, () =>
    runChild<{ peakRssMiB: number; usPerStep: number }>("memory-child.mjs", { mode: "long", n }),
  );
  ctx.figures.push(
    {
      scenario: "memory",
      name: `${label(n)}-step run (NORMAL): peak RSS`,
      unit: "MiB",
      values: long.peakRssMiB,
    },
    {
      scenario: "memory",
      name: `${label(n)}-step run (NORMAL): per step`,
      unit: "µs",
      values: long.usPerStep,
      floor: "sqlite-normal",
    },
  );
  ctx.log(`memory: ${label(runs)} concurrent 2-step runs`);
  const many = await repeat(ctx.reps, () =>
    runChild<{ peakRssMiB: number; runsPerSec: number }>("memory-child.mjs", { mode: "concurrent", runs }),
  );
  ctx.figures.push(
    {
      scenario: "memory",
      name: `${label(runs)} concurrent 2-step runs: peak RSS`,
      unit: "MiB",
      values: many.peakRssMiB,
    },
    {
      scenario: "memory",
      name: `${label(runs)} concurrent 2-step runs: runs/s`,
      unit: "/s",
      values: many.runsPerSec,
    },
  );
  const rounds = ctx.quick ? 3 : 10;
  const per = ctx.quick ? 200 : 1000;
  ctx.log(`memory: ${rounds} rounds of ${label(per)} finished runs`);
  const g = await repeat(ctx.reps, () =>
    runChild<{ firstRoundHeapMiB: number; lastRoundHeapMiB: number; kibPerThousandRuns: number }>(
      "memory-child.mjs",
      { mode: "growth", rounds, runs: per },
      { nodeArgs: ["--expose-gc"] },
    ),
  );
  const name = `heap after GC, ${rounds} rounds × ${label(per)} runs`;
  ctx.figures.push(
    { scenario: "memory", name: `${name}: after round 1`, unit: "MiB", values: g.firstRoundHeapMiB },
    { scenario: "memory", name: `${name}: after round ${rounds}`, unit: "MiB", values: g.lastRoundHeapMiB },
    {
      scenario: "memory",
      name: `${name}: growth per 1,000 finished runs`,
      unit: "KiB",
      values: g.kibPerThousandRuns,
    },
  );
}

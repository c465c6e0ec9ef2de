import fs from "node:fs";
import { storeOf } from "../src/engine/client-state.js";
import { type BenchContext, childArgs, peakRssMiB, repeat, reply, runChild } from "./report.js";
import { chain, openBench, warmUp } from "./workflows.js";

/** One workflow of N trivial steps in a chain: the cost of one recorded step. */
interface Args {
  n: number;
  durability: "full" | "normal";
}
interface Result {
  usPerStep: number;
  stepsPerSec: number;
  peakRssMiB: number;
  commitsPerStep: number;
}

async function child({ n, durability }: Args): Promise<Result> {
  const { cairn, dir } = await openBench("seq", { durability });
  const wf = chain(`chain-${n}`, n);
  // 2,000 steps: after 200 the JIT had not finished optimising the hot path (a first 1,000-step run
  // measured ~230 µs per step, a second one ~185).
  await warmUp(cairn, chain("warm-up", 2000));
  await cairn.register(wf);
  const commits = storeOf(cairn).stats.commits;
  const t0 = performance.now();
  const run = await (await cairn.start(wf, {})).result();
  const ms = performance.now() - t0;
  if (run.status !== "succeeded") throw new Error(`run ${run.status}`);
  const result = {
    usPerStep: (ms * 1000) / n,
    stepsPerSec: (n * 1000) / ms,
    peakRssMiB: peakRssMiB(),
    commitsPerStep: (storeOf(cairn).stats.commits - commits) / n,
  };
  await cairn.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

export async function sequential(ctx: BenchContext): Promise<void> {
  for (const n of ctx.quick ? [500] : [1000, 10_000]) {
    for (const durability of ["full", "normal"] as const) {
      const label = `${durability.toUpperCase()}, N=${n.toLocaleString("en-US")}`;
      ctx.log(`sequential ${label}`);
      const r = await repeat(ctx.reps, () =>
        runChild<Result>("sequential.ts", { n, durability } satisfies Args),
      );
      const floor = durability === "full" ? "sqlite-full" : "sqlite-normal";
      ctx.figures.push(
        { scenario: "sequential", name: `${label}: per step`, unit: "µs", values: r.usPerStep, floor },
        {
          scenario: "sequential",
          name: `${label}: steps/s`,
          unit: "/s",
          values: r.stepsPerSec,
          floor,
          perSecond: true,
        },
        { scenario: "sequential", name: `${label}: commits per step`, unit: "", values: r.commitsPerStep },
        { scenario: "sequential", name: `${label}: peak RSS`, unit: "MiB", values: r.peakRssMiB },
      );
    }
  }
}

const args = childArgs<Args>(import.meta.url);
if (args) reply(await child(args));

import fs from "node:fs";
import { storeOf } from "../src/engine/client-state.js";
import { type BenchContext, type Columns, childArgs, repeat, reply, runChild } from "./report.js";
import { fanOut, openBench, warmUp } from "./workflows.js";

/** root → width parallel steps → join: wall time, and how many commits group commit needed. */
// The repetitions run in one child (with a fresh store each): nothing here measures memory.
interface Args {
  reps: number;
  width: number;
  durability: "full" | "normal";
  concurrency: number | null;
}
interface Result {
  wallMs: number;
  commits: number;
}

async function child({ width, durability, concurrency }: Args): Promise<Result> {
  const { cairn, dir } = await openBench("fan", { durability, ...(concurrency ? { concurrency } : {}) });
  const wf = fanOut(`fan-${width}`, width);
  await warmUp(cairn, fanOut("warm-up", 50));
  await cairn.register(wf);
  const commits = storeOf(cairn).stats.commits;
  const t0 = performance.now();
  const run = await (await cairn.start(wf, {})).result();
  const wallMs = performance.now() - t0;
  if (run.status !== "succeeded" || run.output !== width) throw new Error(`run ${run.status}`);
  const result = { wallMs, commits: storeOf(cairn).stats.commits - commits };
  await cairn.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

export async function fanOutScenario(ctx: BenchContext): Promise<void> {
  for (const width of ctx.quick ? [100] : [100, 1000]) {
    // --quick: FULL only, the setting of the target (1 → 100 → 1 under 30 ms).
    for (const durability of ctx.quick ? (["full"] as const) : (["full", "normal"] as const)) {
      for (const concurrency of [null, width]) {
        const label = `1→${width}→1, ${durability.toUpperCase()}, concurrency ${concurrency ?? "default (8)"}`;
        ctx.log(`fan-out ${label}`);
        const r = await runChild<Columns<Result>>("fan-out.ts", {
          reps: ctx.reps,
          width,
          durability,
          concurrency,
        } satisfies Args);
        const floor = durability === "full" ? "sqlite-full" : "sqlite-normal";
        ctx.figures.push(
          { scenario: "fan-out", name: `${label}: wall`, unit: "ms", values: r.wallMs, floor },
          {
            scenario: "fan-out",
            name: `${label}: commits (${width + 2} steps)`,
            unit: "",
            values: r.commits,
          },
        );
      }
    }
  }
}

const args = childArgs<Args>(import.meta.url);
if (args) reply(await repeat(args.reps, () => child(args)));

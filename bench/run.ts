import { fanOutScenario } from "./fan-out.js";
import { floor } from "./floor.js";
import { history } from "./history.js";
import { manyRuns } from "./many-runs.js";
import { mapScenario } from "./map.js";
import { memory } from "./memory.js";
import { type BenchContext, formatTable, machineInfo, writeResults } from "./report.js";
import { resume } from "./resume.js";
import { sequential } from "./sequential.js";
import { storeGrowth } from "./store-growth.js";

/**
 * `npm run bench [-- --quick] [-- --only=sequential,fan-out] [-- --reps=5]`
 * Prints a table and writes bench/results/<timestamp>.json. Every time figure is also given as a
 * ratio to the floor (one single-row commit on the same store) measured in the same run, so results
 * read the same on a fast or a slow (or busy) machine.
 */
const argv = process.argv.slice(2);
const flag = (name: string) => argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
const quick = flag("quick") !== undefined;
const only = flag("only")?.split("=")[1]?.split(",");
const reps = Number(flag("reps")?.split("=")[1] ?? 3);

const scenarios: Array<[string, (ctx: BenchContext) => Promise<void>]> = [
  ["floor", floor],
  ["sequential", sequential],
  ["fan-out", fanOutScenario],
  ["many-runs", manyRuns],
  ["map", mapScenario],
  ["resume", resume],
  ["store-growth", storeGrowth],
  ["memory", memory],
  ["history", history],
];

const startedAt = new Date();
const t0 = performance.now();
const ctx: BenchContext = {
  quick,
  reps: Math.max(3, reps),
  floors: {},
  figures: [],
  skipped: [],
  log: (line) =>
    process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`),
};
const machine = await machineInfo();
ctx.log(
  `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryMiB} MiB, node ${machine.node}, SQLite ${machine.sqlite}, PostgreSQL ${machine.postgres ?? "unreachable"}${quick ? " (quick)" : ""}`,
);
for (const [name, scenario] of scenarios) {
  // The floor always runs: every other figure is read against it.
  if (only && name !== "floor" && !only.includes(name)) continue;
  ctx.log(`scenario ${name}`);
  await scenario(ctx);
}
const wallMs = performance.now() - t0;
const file = writeResults(ctx, machine, startedAt, wallMs);
console.log(formatTable(ctx));
console.log(`\n${(wallMs / 1000).toFixed(1)} s; ${ctx.reps} repetitions per figure; results in ${file}`);

// Memory figures from a process like a user's: plain node on the built package (dist/), so the
// TypeScript loader's own ~50 MiB is not counted.
//   node bench/memory-child.mjs '{"mode":"long"|"concurrent"|"growth", …}'
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const { Cairn, Workflow } = await import(new URL("../dist/index.js", import.meta.url).href);
const args = JSON.parse(process.argv[2]);
const payload = "x".repeat(100);
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

/** s0 → … → s(n-1); steps handed over as one array, as bench/workflows.ts does. */
function chain(id, n) {
  const steps = Array.from({ length: n }, (_, i) => {
    const handler = async () => ({ i, payload });
    return { id: `s${i}`, needs: i === 0 ? [] : [`s${i - 1}`], handler, source: handler.toString() };
  });
  return new Workflow(id, {}, steps);
}

async function open(options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-bench-mem-"));
  const cairn = await Cairn.open({
    db: path.join(dir, "cairn.db"),
    recover: false,
    durability: "normal",
    ...options,
  });
  return { cairn, dir };
}

async function longRun(n) {
  const { cairn, dir } = await open();
  const wf = chain(`long-${n}`, n);
  const t0 = performance.now();
  const run = await (await cairn.start(wf, {})).result();
  const ms = performance.now() - t0;
  if (run.status !== "succeeded") throw new Error(`run ${run.status}`);
  await cairn.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { peakRssMiB: peakRssMiB(), usPerStep: (ms * 1000) / n };
}

async function concurrentRuns(runs) {
  const { cairn, dir } = await open({ concurrency: 64 });
  const wf = chain("small", 2);
  await cairn.register(wf);
  const t0 = performance.now();
  const handles = await Promise.all(Array.from({ length: runs }, () => cairn.start(wf, {})));
  const done = await Promise.all(handles.map((h) => h.result()));
  const s = (performance.now() - t0) / 1000;
  if (done.some((r) => r.status !== "succeeded")) throw new Error("a run did not succeed");
  await cairn.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { peakRssMiB: peakRssMiB(), runsPerSec: runs / s };
}

/** Least-squares slope of ys over their indexes. */
function slope(ys) {
  const n = ys.length;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

async function growth(rounds, runs) {
  const { cairn, dir } = await open({ concurrency: 64 });
  const wf = chain("small", 2);
  await cairn.register(wf);
  const heap = [];
  for (let round = 0; round < rounds; round++) {
    const handles = await Promise.all(Array.from({ length: runs }, () => cairn.start(wf, {})));
    await Promise.all(handles.map((h) => h.result()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    globalThis.gc();
    heap.push(process.memoryUsage().heapUsed);
  }
  await cairn.close();
  fs.rmSync(dir, { recursive: true, force: true });
  // Growth after the first round (which warms caches), per 1,000 further finished runs: the slope of
  // a least-squares line through the rounds, less sensitive to one noisy reading than last − first.
  const perThousand = (slope(heap.slice(1)) / runs) * 1000;
  return {
    firstRoundHeapMiB: heap[0] / 1048576,
    lastRoundHeapMiB: heap.at(-1) / 1048576,
    kibPerThousandRuns: perThousand / 1024,
  };
}

const result =
  args.mode === "long"
    ? await longRun(args.n)
    : args.mode === "concurrent"
      ? await concurrentRuns(args.runs)
      : await growth(args.rounds, args.runs);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);

// A resuming process as a user runs it: plain node on the built package (dist/), no TypeScript loader,
// so the times include process start and module load. Also sets up the runs it resumes.
//   node bench/resume-child.mjs '{"mode":"fail"|"kill"|"resume", "db": …, "n": …, "at": …, "runId": …}'
const args = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const marks = { processStart: performance.timeOrigin };
const { Cairn, Workflow } = await import(new URL("../dist/index.js", import.meta.url).href);
marks.imported = now();

const payload = "x".repeat(100);
let firstStepAt = 0;
const handler = (i) => async () => {
  if (firstStepAt === 0) firstStepAt = now();
  if (i === args.at && args.mode === "fail") throw new Error(`step ${i} fails until it is fixed`);
  if (i === args.at && args.mode === "kill") process.kill(process.pid, "SIGKILL");
  return { i, payload };
};
// The same handler source in every mode, so fingerprints match and resume keeps the recorded steps.
const steps = Array.from({ length: args.n }, (_, i) => {
  const h = handler(i);
  return { id: `s${i}`, needs: i === 0 ? [] : [`s${i - 1}`], handler: h, source: h.toString() };
});
const wf = new Workflow(`chain-${args.n}`, {}, steps);

if (args.mode === "resume") {
  const cairn = await Cairn.open({ db: args.db, recover: false });
  await cairn.register(wf);
  marks.opened = now();
  marks.resumeCalled = now();
  const handle = await cairn.resume(args.runId);
  marks.resumeReturned = now();
  const run = await handle.result();
  marks.done = now();
  if (run.status !== "succeeded") throw new Error(`resumed run ${run.status}`);
  marks.firstStep = firstStepAt;
  await cairn.close();
  process.stdout.write(`${JSON.stringify(marks)}\n`);
} else {
  // Setting up is not measured: NORMAL keeps it quick (the file is the same either way).
  const cairn = await Cairn.open({ db: args.db, recover: false, durability: "normal" });
  const handle = await cairn.start(wf, {}, { runId: args.runId });
  const run = await handle.result();
  await cairn.close();
  process.stdout.write(`${JSON.stringify({ status: run.status })}\n`);
}

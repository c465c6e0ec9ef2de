// Two `cairn worker` processes on one PostgreSQL schema: a worker SIGKILLed mid shell step is taken
// over without the orphaned step overlapping its re-run; a worker told to stop claims nothing more.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { Cairn, loadOneWorkflow } from "../../src/index.js";
import { orphanWorkflow, overlaps, parseMarks } from "../helpers/orphan-marks.js";
import { pgTestDb } from "../helpers/pg.js";
import { readLines, tempDir, until } from "../helpers/temp.js";
import { startWorkers } from "../helpers/workers.js";

test("worker SIGKILLed mid shell step: another worker takes it over only after the orphan ended", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const dir = tempDir();
  process.chdir(dir); // runs' working directories go here, and the workers start here
  const marks = path.join(dir, "marks.log");
  const file = orphanWorkflow(dir, marks, { recovery: "auto", windDownS: 3 });
  const workers = await startWorkers(t, 2, {
    db: db.url,
    workflows: [file],
    leaseMs: 1500,
    heartbeatMs: 300,
  });
  const store = await db.open();
  const client = await Cairn.open({ db: store, execute: false });
  t.after(() => client.close());
  const { id } = await client.start(await loadOneWorkflow(file), {}, { detach: true });

  await until(() => parseMarks(marks)[0], "the step to start");
  const [running] = await store.getSteps(id, ["work"]);
  const victim = workers.find((w) => w.id === running?.leaseOwner)!;
  assert.ok(victim, "one of the workers owns the step");
  victim.child.kill("SIGKILL");
  await victim.exited;

  await until(
    async () => (await store.getRun(id))?.status === "succeeded",
    "the run to succeed",
    30_000,
    100,
  );
  const executions = parseMarks(marks);
  assert.equal(executions.length, 2, fs.readFileSync(marks, "utf8"));
  assert.deepEqual(overlaps(executions), [], "the taker started the step only after the orphan ended");
  const survivor = workers.find((w) => w !== victim)!;
  assert.equal((await survivor.stop()).code, 0);
});

test("SIGTERM to a worker mid-chain: it claims nothing more; the other worker runs the next steps; it exits 0", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const dir = tempDir();
  process.chdir(dir); // runs' working directories go here, and the workers start here
  const ledger = path.join(dir, "ledger.txt");
  const hold = path.join(dir, "hold");
  fs.writeFileSync(hold, "");
  const file = path.join(dir, "chain.yaml");
  // $PPID of a step's shell is the worker that runs it. Steps run in sequence.
  fs.writeFileSync(
    file,
    `id: chain
steps:
  - id: a
    run: |
      echo "a $PPID" >> ${ledger}
      while [ -e ${hold} ]; do sleep 0.05; done
  - id: b
    run: echo "b $PPID" >> ${ledger}
  - id: c
    run: echo "c $PPID" >> ${ledger}
`,
  );
  const workers = await startWorkers(t, 2, { db: db.url, workflows: [file], concurrency: 1 });
  const store = await db.open();
  const client = await Cairn.open({ db: store, execute: false });
  t.after(() => client.close());
  const { id } = await client.start(await loadOneWorkflow(file), {}, { detach: true });

  const a = await until(() => readLines(ledger).find((l) => l.startsWith("a ")), "step a to start");
  const stopping = workers.find((w) => w.pid === Number(a.split(" ")[1]))!;
  const other = workers.find((w) => w !== stopping)!;
  assert.ok(stopping, "one of the workers runs step a");
  let stderr = "";
  stopping.child.stderr!.on("data", (d) => (stderr += d));
  stopping.child.kill("SIGTERM");
  await until(
    () => stderr.includes("stopping; steps in flight finish first"),
    "the worker to start stopping",
  );
  fs.rmSync(hold);
  const releasedAt = Date.now();
  const exit = await stopping.exited;
  const exitMs = Date.now() - releasedAt;
  assert.equal(exit.code, 0, stopping.stdout());
  assert.ok(exitMs < 3000, `the stopping worker exited ${exitMs} ms after its step finished`);

  await until(async () => (await store.getRun(id))?.status === "succeeded", "the run to succeed", 15_000, 50);
  assert.deepEqual(readLines(ledger), [`a ${stopping.pid}`, `b ${other.pid}`, `c ${other.pid}`]);
  const [stepA] = await store.getSteps(id, ["a"]);
  assert.equal(stepA?.status, "succeeded", "the stopping worker recorded its step in flight");
  assert.equal((await other.stop()).code, 0);
});

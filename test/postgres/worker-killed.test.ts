// SIGKILL a worker in the middle of a step: another worker takes the step over and the run completes.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Cairn, loadOneWorkflow } from "../../src/index.js";
import { pgTestDb } from "../helpers/pg.js";
import { readLines, tempDir, until } from "../helpers/temp.js";
import { startWorkers } from "../helpers/workers.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

test("SIGKILL one of three workers mid-step: another takes the step over, nothing finished runs again", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const dir = tempDir();
  process.chdir(dir);
  const ledger = path.join(dir, "ledger.txt");
  const hold = path.join(dir, "hold");
  fs.writeFileSync(hold, "");
  const workers = await startWorkers(t, 3, {
    db: db.url,
    workflows: [path.join(FIXTURES, "hold.mjs")],
    env: { CAIRN_TEST_LEDGER: ledger, CAIRN_TEST_HOLD: hold },
    leaseMs: 1500,
    heartbeatMs: 300,
  });
  const store = await db.open();
  const client = await Cairn.open({ db: store, execute: false });
  t.after(() => client.close());
  const { id } = await client.start(
    await loadOneWorkflow(path.join(FIXTURES, "hold.mjs")),
    {},
    { detach: true },
  );

  const started = await until(
    () => readLines(ledger).find((l) => l.startsWith(`${id} held start`)),
    "the held step to start",
  );
  const victimPid = Number(started.split(" ").pop());
  const victim = workers.find((w) => w.pid === victimPid)!;
  assert.ok(victim, `the step runs in one of the workers (pid ${victimPid})`);
  const [owner] = await store.getSteps(id, ["held"]);
  assert.equal(owner?.leaseOwner, victim.id, "the store names the killed worker as the step's owner");
  victim.child.kill("SIGKILL");
  await victim.exited;
  fs.rmSync(hold);

  await until(
    async () => (await store.getRun(id))?.status === "succeeded",
    "the run to succeed",
    30_000,
    100,
  );
  const lines = readLines(ledger);
  const count = (what: string) => lines.filter((l) => l.startsWith(`${id} ${what} `)).length;
  assert.equal(count("before done"), 1, "the step finished before the kill did not run again");
  assert.equal(count("held start"), 2, "the held step started in the killed worker, then once more");
  assert.equal(count("held done"), 1);
  assert.equal(count("after done"), 1);
  const taker = lines
    .find((l) => l.startsWith(`${id} held done`))!
    .split(" ")
    .pop();
  assert.notEqual(Number(taker), victimPid, "a surviving worker finished the step");

  const [held] = await store.getSteps(id, ["held"]);
  assert.deepEqual(held?.output, { by: Number(taker) });
  assert.equal(held?.recoveries, 1);
  assert.equal(held?.attempts, 1, "a crash does not consume an attempt");
  assert.equal(held?.leaseEpoch, 2);
  assert.deepEqual((await store.getRun(id))?.output, { by: Number(taker) });
  const events = await store.readEvents({ runId: id });
  assert.equal(events.filter((e) => e.type === "step.recovered" && e.stepId === "held").length, 1);
  assert.equal(events.filter((e) => e.type === "step.succeeded").length, 3, "each step recorded once");
  for (const w of workers.filter((w) => w !== victim)) assert.equal((await w.stop()).code, 0);
});

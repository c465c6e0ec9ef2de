// SIGKILL a worker in the middle of a step: another worker takes the step over and the run completes.
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { pgTestDb } from "../helpers/pg.js";
import { readLines, until } from "../helpers/temp.js";
import { startHeldRun } from "./helpers/held-run.js";

test("SIGKILL one of three workers mid-step: another takes the step over, nothing finished runs again", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const { id, workers, store, ledger, hold } = await startHeldRun(t, db, 3);

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

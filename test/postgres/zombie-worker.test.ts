// A worker frozen past its lease (SIGSTOP) wakes up after another worker completed its step: the
// late completion is rejected by the lease epoch and logged; the taker's result stands.
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";
import { jsonLogLines } from "../helpers/logs.js";
import { pgTestDb } from "../helpers/pg.js";
import { readLines, until } from "../helpers/temp.js";
import { startHeldRun } from "./helpers/held-run.js";

test("a zombie worker's late completion is rejected and logged; the taker's output is recorded", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const { id, workers, store, ledger, hold } = await startHeldRun(t, db, 2);
  t.after(() => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGCONT");
  });

  const startLine = (pid?: number) =>
    readLines(ledger).find(
      (l) => l.startsWith(`${id} held start`) && (pid === undefined || !l.endsWith(` ${pid}`)),
    );
  const zombiePid = Number((await until(() => startLine(), "the held step to start")).split(" ").pop());
  const zombie = workers.find((w) => w.pid === zombiePid)!;
  zombie.child.kill("SIGSTOP");

  // Its lease expires (judged by the database clock); the other worker recovers the step and starts it.
  const takerPid = Number(
    (await until(() => startLine(zombiePid), "the other worker to take the step over", 30_000))
      .split(" ")
      .pop(),
  );
  const taker = workers.find((w) => w.pid === takerPid)!;
  assert.ok(taker && taker !== zombie);
  fs.rmSync(hold);
  await until(
    async () => (await store.getRun(id))?.status === "succeeded",
    "the run to succeed",
    30_000,
    100,
  );

  zombie.child.kill("SIGCONT");
  const rejected = await until(
    async () => (await store.readEvents({ runId: id })).find((e) => e.type === "step.completion-rejected"),
    "the zombie's completion to be rejected",
    30_000,
    100,
  );
  assert.equal(rejected.stepId, "held");
  assert.equal((rejected.data as { epoch: number }).epoch, 1, "the rejected write carried the old epoch");

  const [held] = await store.getSteps(id, ["held"]);
  assert.equal(held?.status, "succeeded");
  assert.deepEqual(held?.output, { by: takerPid }, "the taker's output stands");
  assert.equal(held?.leaseEpoch, 2);
  const run = await store.getRun(id);
  assert.equal(run?.status, "succeeded");
  assert.deepEqual(run?.output, { by: takerPid });
  const events = await store.readEvents({ runId: id });
  assert.equal(events.filter((e) => e.type === "step.succeeded" && e.stepId === "held").length, 1);
  assert.equal(readLines(ledger).filter((l) => l.startsWith(`${id} after done`)).length, 1);

  // Both workers said what happened, naming the run, the step and the attempt.
  const recovered = jsonLogLines(taker.stderr()).find((l) => l.msg.startsWith("step recovered"));
  assert.deepEqual(
    recovered && [
      recovered.level,
      recovered.runId,
      recovered.stepId,
      recovered.attempt,
      recovered.previousOwner,
    ],
    [40, id, "held", 1, zombie.id],
    taker.stderr(),
  );
  const fenced = await until(
    () => jsonLogLines(zombie.stderr()).find((l) => /^(completion rejected|lease lost)/.test(l.msg)),
    "the zombie to log its lost lease or rejected completion",
  );
  assert.deepEqual([fenced.level, fenced.runId, fenced.stepId, fenced.attempt], [40, id, "held", 1]);
  for (const w of workers) assert.equal((await w.stop()).code, 0, w.stdout());
});

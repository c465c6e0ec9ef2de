// PostgreSQL crashes and restarts while steps are in flight and commits are being written. Runs on a
// private cluster: restarting the shared server would break the other test files running meanwhile.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Cairn, loadWorkflowFile } from "../../src/index.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { privateCluster } from "../helpers/private-pg.js";
import { readLines, tempDir, until } from "../helpers/temp.js";
import { startWorkers } from "../helpers/workers.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

test("a database restart mid-run: the runs complete, no finished step runs again, none is recorded twice", async (t) => {
  const cluster = await privateCluster(t);
  if (!cluster) return;
  const dir = tempDir();
  process.chdir(dir);
  const ledger = path.join(dir, "ledger.txt");
  const hold = path.join(dir, "hold");
  fs.writeFileSync(hold, "");
  const workflows = path.join(FIXTURES, "restart.mjs");
  const store = await PostgresStore.open(cluster.url);
  t.after(() => store.close());
  // Leases far longer than the outage: this test is about commits surviving it, not about takeovers.
  const workers = await startWorkers(t, 2, {
    db: cluster.url,
    workflows: [workflows],
    env: { CAIRN_TEST_LEDGER: ledger, CAIRN_TEST_HOLD: hold },
    leaseMs: 30_000,
  });
  const client = await Cairn.open({ db: store, execute: false });
  t.after(() => client.close());
  const [gated, stream] = await loadWorkflowFile(workflows);
  const g = (await client.start(gated!, {}, { detach: true })).id;
  const s = (await client.start(stream!, {}, { detach: true })).id;

  const lines = () => readLines(ledger);
  const count = (run: string, what: string) =>
    lines().filter((l) => l.startsWith(`${run} `) && l.includes(` ${what} `)).length;
  await until(
    () => count(g, "start") === 12 && count(s, "done") >= 5,
    "all twelve gated steps in flight, the stream under way",
    30_000,
  );

  await cluster.stop("immediate");
  fs.rmSync(hold);
  // The gated steps finish while the database is down; their commits wait for it.
  await until(() => count(g, "done") === 12, "the gated steps to finish during the outage", 30_000);
  await cluster.start();

  for (const id of [g, s])
    await until(
      async () => (await store.getRun(id))?.status === "succeeded",
      `run ${id} to succeed`,
      60_000,
      200,
    );
  assert.equal((await store.getRun(g))?.output, 66);
  for (const id of [g, s]) {
    const steps = await store.getSteps(id);
    assert.ok(
      steps.every((step) => step.status === "succeeded" && step.leaseEpoch === 1),
      `${id}: every step succeeded on its first claim`,
    );
    const perStep = new Map<string, number>();
    for (const line of lines().filter((l) => l.startsWith(`${id} `) && l.includes(" start ")))
      perStep.set(line.split(" ")[1]!, (perStep.get(line.split(" ")[1]!) ?? 0) + 1);
    assert.equal(perStep.size, steps.length);
    assert.deepEqual([...new Set(perStep.values())], [1], `${id}: no step executed twice`);
    const events = await store.readEvents({ runId: id, limit: 10_000 });
    const succeeded = events.filter((e) => e.type === "step.succeeded").map((e) => e.stepId);
    assert.equal(succeeded.length, steps.length, `${id}: each step's completion recorded once`);
    assert.equal(new Set(succeeded).size, steps.length);
    assert.deepEqual(
      events.filter((e) => e.type === "step.completion-rejected" || e.type === "step.recovered"),
      [],
    );
  }
  for (const w of workers)
    assert.equal((await w.stop()).code, 0, `the worker survived the restart\n${w.stdout()}`);
});

// A worker tells its executions of one step apart by their claim (lease epoch), and ends an execution
// whose lease it could not renew for a whole lease.
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { storeOf } from "../src/engine/client-state.js";
import { recoverOrphans } from "../src/engine/recovery.js";
import { Cairn, workflow } from "../src/index.js";
import { gate, openTemp } from "./helpers/engine.js";
import { PG_URL, pgTestDb } from "./helpers/pg.js";
import { until } from "./helpers/temp.js";

/** The executor's timers do not hold the process open: a test awaiting a step's gate does. */
function keepAlive(t: { after: (fn: () => void) => void }): void {
  const timer = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(timer));
}

test("losing an old claim aborts only the old execution, never a newer execution of the same step", async (t) => {
  keepAlive(t);
  const reasons: { first?: unknown; second?: unknown } = {};
  let executions = 0;
  const wf = workflow("twice").step("s", async ({ signal }) => {
    const which = ++executions === 1 ? "first" : "second";
    const aborted = new Promise((resolve) => {
      const onAbort = () => {
        reasons[which] = signal.reason;
        resolve(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
    if (which === "first") return aborted; // the old execution winds down only when aborted
    await until(() => "first" in reasons || "second" in reasons, "an abort", 10_000, 10);
    return "second";
  });
  // Renewals are rare here, so that the step is claimed again before the next one finds the old claim lost.
  const { cairn } = await openTemp({ leaseMs: 60_000, heartbeatMs: 1000, recoveryIntervalMs: 3_600_000 });
  await cairn.register(wf);
  const run = await cairn.start("twice", {});
  await until(() => executions === 1, "the first execution");
  // The first execution's lease ran out (backdated) and recovery gave the step back: this same worker
  // claims it again (epoch 2) while the first execution is still in flight.
  await storeOf(cairn).transaction(async (tx) => {
    await tx.updateStep({ runId: run.id, stepId: "s" }, { leaseExpiresAt: 0 });
    return recoverOrphans(tx, { workflows: new Map(), onlyRegistered: false });
  });
  await until(() => executions === 2, "the second execution");
  await until(() => "first" in reasons || "second" in reasons, "the heartbeat to find the old claim lost");
  assert.deepEqual(reasons, { first: "lease-lost" }, "only the old execution was aborted");
  const done = await cairn.wait(run.id);
  assert.equal(done.status, "succeeded", JSON.stringify(done.error));
  assert.equal(done.output, "second");
  const [step] = await storeOf(cairn).getSteps(run.id, ["s"]);
  assert.equal(step?.leaseEpoch, 2);
});

test("PostgreSQL: a step whose lease cannot be renewed for a whole lease is aborted at once and given back, not failed", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  keepAlive(t);
  const reasons: unknown[] = [];
  const firstAborted = gate();
  const wf = workflow("blocked").step("s", async ({ signal }) => {
    if (reasons.length > 0) return "again";
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    reasons.push(signal.reason);
    firstAborted.open();
    throw new Error("aborted");
  });
  const cairn = await Cairn.open({
    db: await db.open(),
    leaseMs: 1500,
    heartbeatMs: 50,
    pollIntervalMs: 50,
    recoveryIntervalMs: 3_600_000,
  });
  try {
    await blockRenewals(t, db, cairn, wf, reasons, firstAborted.promise);
  } finally {
    await cairn.close({ abort: true });
  }
});

async function blockRenewals(
  t: { after: (fn: () => unknown) => void },
  db: NonNullable<Awaited<ReturnType<typeof pgTestDb>>>,
  cairn: Cairn,
  wf: Parameters<Cairn["register"]>[0],
  reasons: unknown[],
  firstAborted: Promise<void>,
): Promise<void> {
  await cairn.register(wf);
  const run = await cairn.start("blocked", {});
  await until(
    async () => (await storeOf(cairn).getSteps(run.id, ["s"]))[0]?.status === "running",
    "the step to run",
  );
  // Another session holds the step's row: every renewal of its lease waits, as in an outage.
  const locker = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${db.schema}` });
  await locker.connect();
  t.after(() => locker.end());
  await locker.query("BEGIN");
  await locker.query("SELECT 1 FROM steps WHERE run_id = $1 FOR UPDATE", [run.id]);
  const lockedAt = Date.now();
  try {
    await until(() => reasons.length > 0, "the execution to be aborted", 5000, 10);
    await firstAborted;
    const abortedAfterMs = Date.now() - lockedAt;
    assert.deepEqual(reasons, ["lease-expired"]);
    assert.ok(abortedAfterMs < 1500 + 1500, `aborted ${abortedAfterMs} ms after renewals stopped`);
  } finally {
    await locker.query("ROLLBACK");
  }
  const done = await cairn.wait(run.id);
  assert.equal(done.status, "succeeded", JSON.stringify(done.error));
  assert.equal(done.output, "again");
  const [step] = await storeOf(cairn).getSteps(run.id, ["s"]);
  assert.equal(step?.attempts, 1, "giving a step back consumes no attempt");
  assert.equal(step?.recoveries, 1);
  const events = await cairn.events(run.id);
  assert.ok(events.some((e) => e.type === "step.recovered"));
  assert.ok(!events.some((e) => e.type === "step.failed"));
}

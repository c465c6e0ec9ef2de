// Schedules on PostgreSQL with two `cairn worker` processes: exactly one run per tick, and after both
// are SIGKILLed and restarted (with downtime set up in the store), no tick twice and the missed-tick
// policy applied once, though both race for it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { scheduledRunId } from "../../src/engine/scheduler.js";
import { CairnClient } from "../../src/index.js";
import { pgTestDb } from "../helpers/pg.js";
import {
  assertConsecutive,
  dailyCronAgo,
  scheduledTicks,
  tickOf,
  writeScheduledWorkflow,
} from "../helpers/schedules.js";
import { tempDir, until } from "../helpers/temp.js";
import { startWorkers } from "../helpers/workers.js";

test("two workers start exactly one run per tick; killed and restarted, they neither duplicate a tick nor catch up twice", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const dir = tempDir();
  process.chdir(dir); // run directories go under this temp dir
  const pulse = writeScheduledWorkflow(dir, "pulse", ["- { name: fast, every: 1s, missed: catch-up }"]);
  const nightly = writeScheduledWorkflow(dir, "nightly", [
    `- { name: skip, cron: "${dailyCronAgo(5 * 60_000)}", missed: skip }`,
    `- { name: catch-up, cron: "${dailyCronAgo(5 * 60_000)}", missed: catch-up }`,
  ]);
  const options = { db: db.url, workflows: [pulse, nightly], env: { CAIRN_LOG_LEVEL: "warn" } };
  let workers = await startWorkers(t, 2, options);
  const store = await db.open();
  const client = await CairnClient.open({ db: store });
  t.after(() => client.close());
  const ticks = () => scheduledTicks(client, "pulse", "fast");

  const first = await until(
    async () => {
      const found = await ticks();
      return found.length >= 5 ? found : null;
    },
    "five ticks of pulse/fast",
    30_000,
  );
  assertConsecutive(first, 1000);
  for (const tick of first) {
    const runId = scheduledRunId("pulse", "fast", tick);
    assert.equal((await client.history(runId)).length, 1, `${runId} was started once`);
  }

  for (const w of workers) w.child.kill("SIGKILL");
  await Promise.all(workers.map((w) => w.exited));
  const atKill = await ticks();
  await db.sql("UPDATE schedules SET last_tick = $1 WHERE workflow_id = 'nightly'", [
    Date.now() - 48 * 3_600_000,
  ]);
  workers = await startWorkers(t, 2, options);

  const after = await until(
    async () => {
      const found = await ticks();
      return found.length >= atKill.length + 3 ? found : null;
    },
    "pulse/fast to go on after the restart",
    30_000,
  );
  assert.deepEqual(after.slice(0, atKill.length), atKill);
  assert.equal(new Set(after).size, after.length, "no tick started twice");
  assertConsecutive(after.slice(-3), 1000);
  const nightlyRuns = await client.list({ workflowId: "nightly" });
  assert.equal(nightlyRuns.length, 1, "one catch-up run for the two workers; none for skip");
  assert.equal(nightlyRuns[0]!.id, scheduledRunId("nightly", "catch-up", tickOf(nightlyRuns[0]!.id)));
  assert.equal((await client.wait(nightlyRuns[0]!.id)).status, "succeeded");
  await Promise.all(workers.map((w) => w.stop()));
});

// Schedules through the CLI on SQLite, with a real `cairn worker` process: one run per tick, `cairn
// schedules` and pause/resume, and a worker SIGKILLed and restarted after (set-up) downtime.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { scheduledRunId } from "../src/engine/scheduler.js";
import { CairnClient } from "../src/index.js";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli } from "./helpers/cli.js";
import {
  assertConsecutive,
  dailyCronAgo,
  scheduledTicks,
  writeScheduledWorkflow,
} from "./helpers/schedules.js";
import { tempDir, until } from "./helpers/temp.js";
import { startWorkers } from "./helpers/workers.js";

test("cairn worker starts one run per tick; cairn schedules lists, pauses and resumes; a SIGKILLed worker restarts without duplicating and applies the missed-tick policy", async (t) => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const pulse = writeScheduledWorkflow(dir, "pulse", [
    "- { name: fast, every: 1s, missed: catch-up, input: { n: 1 } }",
    "- { name: other, every: 1s, missed: catch-up }",
  ]);
  const nightly = writeScheduledWorkflow(dir, "nightly", [
    `- { name: skip, cron: "${dailyCronAgo(5 * 60_000)}", timezone: UTC, missed: skip }`,
    `- { name: catch-up, cron: "${dailyCronAgo(5 * 60_000)}", timezone: UTC, missed: catch-up }`,
  ]);
  const options = { db, workflows: [pulse, nightly], env: { CAIRN_LOG_LEVEL: "warn" } };
  let [worker] = await startWorkers(t, 1, options);
  const client = await CairnClient.open({ db });
  t.after(() => client.close());
  const ticks = (name: string) => scheduledTicks(client, "pulse", name);

  const fast = await until(async () => {
    const found = await ticks("fast");
    return found.length >= 3 ? found : null;
  }, "three runs of pulse/fast");
  assertConsecutive(fast, 1000);

  const listed = await cli(["--db", db, "schedules"], { cwd: dir });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(
    listed.stdout,
    /^pulse\/fast\s+every 1s\s+next \d{4}-\d\d-\d\dT\S+Z\s+missed: catch-up\s+last run run_\w+$/m,
  );
  assert.match(listed.stdout, /^nightly\/skip\s+cron \d+ \d+ \* \* \* \(UTC\)\s+next /m);
  const json = JSON.parse(
    (await cli(["--db", db, "--json", "schedules", "--workflow", "pulse"], { cwd: dir })).stdout,
  );
  assert.deepEqual(
    json.map((s: { name: string; everyMs: number; paused: boolean }) => [s.name, s.everyMs, s.paused]),
    [
      ["fast", 1000, false],
      ["other", 1000, false],
    ],
  );
  const unknown = await cli(["--db", db, "schedules", "pause", "pulse", "nope"], { cwd: dir });
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'cairn: Workflow "pulse" has no schedule "nope".\n');

  const paused = await cli(["--db", db, "schedules", "pause", "pulse", "fast"], { cwd: dir });
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stdout, /^pulse\/fast\s+every 1s\s+paused/);
  const pausedAt = Date.now();
  const otherBefore = (await ticks("other")).length;
  await until(async () => (await ticks("other")).length >= otherBefore + 2, "two more ticks of pulse/other");
  assert.deepEqual(
    (await ticks("fast")).filter((tick) => tick > pausedAt + 1000),
    [],
    "paused: no run",
  );

  // SIGKILL between ticks, then the state of a worker that has been down for two days.
  worker!.child.kill("SIGKILL");
  await worker!.exited;
  const otherAtKill = await ticks("other");
  const file = new Database(db);
  file
    .prepare("UPDATE schedules SET last_tick = ? WHERE workflow_id = 'nightly'")
    .run(Date.now() - 48 * 3_600_000);
  file.close();
  [worker] = await startWorkers(t, 1, options);

  const caughtUp = await until(async () => {
    const runs = await client.list({ workflowId: "nightly" });
    return runs.length > 0 ? runs : null;
  }, "the catch-up run of nightly");
  const otherAfter = await until(async () => {
    const found = await ticks("other");
    return found.length >= otherAtKill.length + 2 ? found : null;
  }, "pulse/other to go on after the restart");
  assert.deepEqual(
    otherAfter.slice(0, otherAtKill.length),
    otherAtKill,
    "the ticks started before stay as they were",
  );
  const restarted = otherAfter.slice(otherAtKill.length);
  assertConsecutive(restarted.slice(-2), 1000);
  assert.equal(new Set(otherAfter).size, otherAfter.length, "no tick started twice");
  assert.equal(caughtUp.length, 1, "catch-up starts one run; skip starts none");
  const [catchUp] = caughtUp;
  const lastTick = (await client.schedules({ workflowId: "nightly" })).find((s) => s.name === "catch-up");
  assert.equal(catchUp!.id, lastTick?.lastRunId);
  assert.equal(
    catchUp!.id,
    scheduledRunId("nightly", "catch-up", Number.parseInt(catchUp!.id.slice(4, 13), 36)),
  );
  assert.match((await client.history(catchUp!.id))[0]?.note ?? "", /catch-up of a missed tick/);
  assert.equal((await client.wait(catchUp!.id)).status, "succeeded");

  // Still paused after the restart; resumed, it starts from its next tick.
  assert.deepEqual(
    (await ticks("fast")).filter((tick) => tick > pausedAt + 1000),
    [],
  );
  const resumedAt = Date.now();
  const resumed = await cli(["--db", db, "schedules", "resume", "pulse"], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  const fastAfter = await until(async () => {
    const found = (await ticks("fast")).filter((tick) => tick > pausedAt + 1000);
    return found.length > 0 ? found : null;
  }, "pulse/fast to start again after resume");
  assert.ok(fastAfter[0]! > resumedAt, "the ticks of the pause are not caught up");
  await worker!.stop();
});

test("cairn serve starts one run per tick and pauses a schedule through the API", async (t) => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const pulse = writeScheduledWorkflow(dir, "pulse", ["- { every: 1s, missed: catch-up }"]);
  const server = spawnNode(BIN, ["--db", db, "serve", "--no-auth", "--port", "0", "--workflows", pulse], {
    NO_COLOR: "1",
    CAIRN_LOG_LEVEL: "warn",
  });
  t.after(() => {
    if (server.child.exitCode === null) server.child.kill("SIGKILL");
  });
  const url = (await server.line(/^Cairn API listening on \S+/)).match(/on (\S+)/)![1]!;
  const client = await CairnClient.open({ db });
  t.after(() => client.close());
  const ticks = await until(async () => {
    const found = await scheduledTicks(client, "pulse", "default");
    return found.length >= 3 ? found : null;
  }, "three runs started by serve");
  assertConsecutive(ticks, 1000);

  const listed = (await (await fetch(`${url}/api/schedules`)).json()) as {
    schedules: Array<{ name: string }>;
  };
  assert.deepEqual(
    listed.schedules.map((s) => s.name),
    ["default"],
  );
  const paused = await fetch(`${url}/api/schedules/pulse/default/pause`, { method: "POST" });
  assert.equal(paused.status, 200);
  assert.equal(((await paused.json()) as { paused: boolean }).paused, true);
  assert.equal((await client.schedules())[0]?.paused, true, "recorded in the store");
  server.child.kill("SIGTERM");
  await server.exited;
});

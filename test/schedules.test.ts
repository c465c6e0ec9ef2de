// Schedules on SQLite in one process: definitions, tick arithmetic, the scheduler loop of a library
// worker, missed ticks after downtime (set up in the store), pause and resume.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { latestTick, nextTick, type ScheduleDefinition } from "../src/core/schedule.js";
import { storeOf } from "../src/engine/client-state.js";
import { loadWorkflow } from "../src/engine/registry.js";
import { Scheduler, scheduledRunId } from "../src/engine/scheduler.js";
import { Cairn, loadOneWorkflow, workflow } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";
import { assertConsecutive, dailyCronAgo, scheduledTicks } from "./helpers/schedules.js";
import { tempDir, until } from "./helpers/temp.js";

const HOUR = 3_600_000;

function definitionError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("no error");
}

test("a TypeScript workflow's schedules are validated when it is defined, each problem with its schedule", () => {
  const bad = workflow("bad", {
    schedules: [
      { name: "a", cron: "61 * * * *" },
      { name: "b", cron: "0 * * * *", timezone: "Mars/Olympus" },
      { name: "c", every: "10m", cron: "0 * * * *" },
      { name: "d", every: "soon" },
      { name: "a", every: "1h", missed: "later" as never },
    ],
  }).step("s", () => 1);
  const message = definitionError(() => bad.definition());
  assert.match(message, /schedule #1: cron "61 \* \* \* \*" is invalid: .*minute/);
  assert.match(
    message,
    /schedule #2: timezone must be an IANA time zone like "Europe\/Paris", got "Mars\/Olympus"/,
  );
  assert.match(message, /schedule #3: needs exactly one of cron and every/);
  assert.match(message, /schedule #4: every must be a duration like/);
  assert.match(message, /schedule #5: duplicate schedule name "a"/);
  assert.match(message, /schedule #5: missed must be "skip" or "catch-up", got "later"/);
  const unnamed = workflow("two", { schedules: [{ every: "1h" }, { every: "2h" }] }).step("s", () => 1);
  assert.match(
    definitionError(() => unnamed.definition()),
    /needs a name when the workflow has several schedules/,
  );
  const secret = workflow("sec", { secrets: ["TOKEN"], schedules: [{ every: "1h" }] }).step("s", () => 1);
  assert.match(
    definitionError(() => secret.definition()),
    /needs secrets cannot have schedules/,
  );
  const good = workflow("good", { schedules: [{ cron: "0 9 * * 1-5", timezone: "Europe/Paris" }] }).step(
    "s",
    () => 1,
  );
  assert.deepEqual(good.definition().schedules, [
    {
      name: "default",
      cron: "0 9 * * 1-5",
      timezone: "Europe/Paris",
      everyMs: null,
      input: {},
      missed: "skip",
    },
  ]);
});

test("a YAML schedule's problem names the file, line and column", async () => {
  const dir = tempDir();
  const file = path.join(dir, "nightly.yaml");
  fs.writeFileSync(
    file,
    [
      "id: nightly",
      "schedules:",
      '  - cron: "0 3 * * *"',
      "    timezone: Europe/Paris",
      '  - cron: "0 25 * * *"',
      "    name: bad",
      "steps:",
      "  - id: s",
      "    run: echo hi",
      "",
    ].join("\n"),
  );
  await assert.rejects(loadOneWorkflow(file), (error: Error) => {
    assert.match(error.message, /nightly\.yaml:5:5: schedule #2: cron "0 25 \* \* \*" is invalid: .*hour/);
    return true;
  });
});

test("ticks: cron in a time zone (daylight saving included) and intervals aligned on the epoch", () => {
  const paris: ScheduleDefinition = {
    name: "n",
    cron: "0 9 * * *",
    timezone: "Europe/Paris",
    everyMs: null,
    input: {},
    missed: "skip",
  };
  const winter = Date.parse("2026-01-15T12:00:00Z");
  assert.equal(new Date(latestTick(paris, winter)!).toISOString(), "2026-01-15T08:00:00.000Z");
  assert.equal(new Date(nextTick(paris, winter)!).toISOString(), "2026-01-16T08:00:00.000Z");
  const summer = Date.parse("2026-07-15T12:00:00Z");
  assert.equal(new Date(latestTick(paris, summer)!).toISOString(), "2026-07-15T07:00:00.000Z");
  const at = Date.parse("2026-01-15T08:00:00Z");
  assert.equal(latestTick(paris, at), at, "a tick at the very instant is the latest");
  assert.equal(nextTick(paris, at), at + 24 * HOUR);
  const every: ScheduleDefinition = { ...paris, cron: null, timezone: null, everyMs: 10 * 60_000 };
  assert.equal(latestTick(every, Date.parse("2026-01-15T08:17:30Z")), Date.parse("2026-01-15T08:10:00Z"));
  assert.equal(nextTick(every, Date.parse("2026-01-15T08:10:00Z")), Date.parse("2026-01-15T08:20:00Z"));
});

test("missed ticks after downtime: skip starts nothing, catch-up starts one run for the latest; an on-time tick runs either way", async () => {
  const { cairn } = await openTemp({ execute: false });
  const store = storeOf(cairn);
  const wf = workflow("nightly", {
    schedules: [
      { name: "skip", cron: dailyCronAgo(5 * 60_000), missed: "skip", input: { which: "skip" } },
      { name: "catch-up", cron: dailyCronAgo(5 * 60_000), missed: "catch-up", input: { which: "catch-up" } },
      // The current minute's tick is at most 60s old: on time for a daily schedule.
      { name: "on-time", cron: dailyCronAgo(0), missed: "skip" },
    ],
  }).step("s", ({ input }) => input);
  // The state a worker that died two days ago left: every tick since was missed.
  await store.transaction((tx) =>
    tx.syncSchedules(
      "nightly",
      ["skip", "catch-up", "on-time"].map((name) => ({ name, spec: {} })),
      Date.now() - 48 * HOUR,
    ),
  );
  const loaded = await cairn.register(wf);
  const scheduler = new Scheduler({
    store,
    workflows: new Map([["nightly", loaded]]),
    logger: cairn.logger,
    onStarted: () => undefined,
  });
  const outcomes = [];
  for (const record of await store.read((tx) => tx.listSchedules("nightly"))) {
    const schedule = loaded.definition.schedules.find((s) => s.name === record.name)!;
    outcomes.push(await scheduler.runDue(record, schedule));
    assert.equal(await scheduler.runDue(record, schedule), null, "a tick is handled once");
  }
  const byName = new Map(outcomes.map((o) => [o!.name, o!]));
  assert.equal(byName.get("skip")?.kind, "skipped");
  const caught = byName.get("catch-up");
  assert.ok(caught?.kind === "started" && caught.late, "catch-up started a late run");
  assert.equal(caught.runId, scheduledRunId("nightly", "catch-up", caught.tick));
  const onTime = byName.get("on-time");
  assert.ok(onTime?.kind === "started" && !onTime.late);
  const runs = await cairn.list({ workflowId: "nightly" });
  assert.deepEqual(
    runs.map((r) => r.id).sort(),
    [caught.runId, onTime.runId].sort(),
    "one run each, none for skip",
  );
  const run = runs.find((r) => r.id === caught.runId)!;
  assert.deepEqual(run.input, { which: "catch-up" });
  const [attempt] = await cairn.history(caught.runId);
  assert.equal(attempt?.trigger, "schedule");
  assert.equal(attempt?.actor, "catch-up");
  assert.match(attempt?.note ?? "", /catch-up of a missed tick/);
  const states = await cairn.schedules();
  assert.equal(states.find((s) => s.name === "skip")?.lastRunId, null);
  assert.equal(states.find((s) => s.name === "catch-up")?.lastRunId, caught.runId);
});

test("a library worker starts one run per tick of an every: 1s schedule, and pause stops them until resume", async () => {
  const dir = tempDir();
  const wf = workflow("pulse", {
    schedules: [
      { name: "fast", every: "1s", missed: "catch-up", input: { n: 1 } },
      { name: "other", every: "1s", missed: "catch-up" },
    ],
  }).step("s", ({ input }) => input);
  const cairn = await Cairn.open({ db: path.join(dir, "cairn.db"), pollIntervalMs: 50 });
  try {
    await cairn.register(wf);
    const ticksOf = (name: string) => scheduledTicks(cairn, "pulse", name);
    const fast = await until(async () => {
      const ticks = await ticksOf("fast");
      return ticks.length >= 3 ? ticks : null;
    }, "three runs of the fast schedule");
    assertConsecutive(fast, 1000);
    const succeeded = await cairn.wait(scheduledRunId("pulse", "fast", fast[0]!));
    assert.equal(succeeded.status, "succeeded");
    assert.deepEqual(succeeded.output, { n: 1 });

    const [paused] = await cairn.pauseSchedule("pulse", "fast");
    assert.deepEqual([paused?.paused, paused?.nextTick], [true, null]);
    const pausedAt = Date.now();
    const before = (await ticksOf("fast")).length;
    // Two more ticks of the other schedule: the scheduler went past two ticks of the paused one.
    const otherCount = (await ticksOf("other")).filter((t) => t > pausedAt).length;
    await until(
      async () => (await ticksOf("other")).filter((t) => t > pausedAt).length >= otherCount + 2,
      "two more ticks of the other schedule",
    );
    const whilePaused = (await ticksOf("fast")).filter((t) => t > pausedAt + 1000);
    assert.deepEqual(whilePaused, [], "a paused schedule starts nothing");
    assert.ok((await ticksOf("fast")).length <= before + 1, "at most the tick that was being started");

    const resumedAt = Date.now();
    const [resumed] = await cairn.resumeSchedule("pulse", "fast");
    assert.equal(resumed?.paused, false);
    assert.ok(resumed!.nextTick! > resumedAt);
    const after = await until(async () => {
      const ticks = (await ticksOf("fast")).filter((t) => t > pausedAt + 1000);
      return ticks.length > 0 ? ticks : null;
    }, "a run after resume");
    assert.ok(after[0]! > resumedAt, "the ticks of the pause are not caught up");
  } finally {
    await cairn.close({ abort: true });
  }
});

test("a schedule's input must fit the workflow's input schema when it is registered", async () => {
  const { z } = await import("zod");
  const { cairn } = await openTemp({ execute: false });
  const wf = workflow("typed", {
    input: z.object({ n: z.number() }),
    schedules: [{ every: "1h", input: { n: "one" } }],
  }).step("s", () => 1);
  await assert.rejects(cairn.register(wf), /schedule "default": Input for workflow "typed" is invalid: n:/);
  assert.deepEqual(
    loadWorkflow(
      workflow("x")
        .step("s", () => 1)
        .definition(),
    ).definition.schedules,
    [],
  );
});

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { StepRecord } from "../src/core/types.js";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, workflow } from "../src/index.js";
import type { Store } from "../src/store/store.js";
import { spawnNode } from "./helpers/child.js";
import { cli } from "./helpers/cli.js";
import { pgTestDb } from "./helpers/pg.js";
import { readLines, tempDir, until } from "./helpers/temp.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const HOUR = 3_600_000;

/** A SQLite file or a PostgreSQL schema for one test; null when PostgreSQL is skipped. */
const stores: Array<[string, (t: TestContext) => Promise<string | Store | null>]> = [
  ["sqlite", async () => path.join(tempDir(), "cairn.db")],
  ["postgres", async (t) => (await pgTestDb(t))?.open() ?? null],
];

// Run directories go under a temp dir (a PostgreSQL store puts them under ./.cairn).
process.chdir(tempDir());

async function stepOf(cairn: Cairn, runId: string, stepId: string): Promise<StepRecord> {
  return (await cairn.get(runId))!.steps.find((s) => s.stepId === stepId)!;
}

/** Let the store's clock "reach" the wake time: the parked step becomes due now. */
async function backdateWake(store: Store, runId: string, stepId: string): Promise<void> {
  await store.transaction(async (tx) =>
    tx.updateStep({ runId, stepId }, { readyAt: await tx.now() }, ["ready"]),
  );
}

for (const [kind, open] of stores) {
  test(`${kind}: ctx.sleep parks the step without holding a slot; once due it wakes, reusing its memos`, async (t) => {
    const db = await open(t);
    if (!db) return;
    let offsetMs = 0;
    let emails = 0;
    const reminder = workflow("reminder")
      .step("nap", async (ctx) => {
        await ctx.memo("email", () => ++emails);
        await ctx.sleep("1h");
        return "woke up";
      })
      .step("after", { needs: ["nap"] }, async ({ needs }) => `${needs.nap}, then went on`);
    const quick = workflow("quick").step("only", async () => "done");
    const cairn = await Cairn.open({
      db,
      concurrency: 1,
      pollIntervalMs: 20,
      clock: () => Date.now() + offsetMs,
    });
    try {
      const startedAt = Date.now();
      await cairn.start(reminder, {}, { runId: "r-sleep" });
      await until(async () => (await stepOf(cairn, "r-sleep", "nap")).wait, "the step to park");
      const parked = await stepOf(cairn, "r-sleep", "nap");
      assert.equal(parked.status, "ready");
      assert.equal(parked.wait?.kind, "sleep");
      const wakeAt = parked.wait!.until!;
      assert.ok(
        wakeAt >= startedAt + HOUR && wakeAt <= Date.now() + HOUR,
        "woken an hour after the sleep began",
      );
      assert.equal(parked.readyAt, wakeAt);
      assert.equal(parked.attempts, 0, "parking gives the attempt back");
      assert.equal((await cairn.get("r-sleep"))!.run.status, "running");

      // Concurrency 1: the sleeping run holds no slot, so another run executes meanwhile.
      const other = await cairn.start(quick, {});
      assert.equal((await other.result()).status, "succeeded");

      offsetMs = HOUR + 1000;
      await backdateWake(storeOf(cairn), "r-sleep", "nap");
      const run = await cairn.wait("r-sleep");
      assert.equal(run.status, "succeeded");
      assert.equal(run.output, "woke up, then went on");
      assert.equal(emails, 1, "the memoized email before the sleep was sent once");
      const nap = await stepOf(cairn, "r-sleep", "nap");
      assert.equal(nap.attempts, 1);
      assert.equal(nap.wait, null);
      const waits = (await cairn.events("r-sleep")).filter((e) => e.type === "step.waiting");
      assert.deepEqual(
        waits.map((e) => e.data),
        [{ kind: "sleep", until: wakeAt }],
      );
    } finally {
      await cairn.close({ abort: true });
    }
  });
}

test("SIGKILL while sleeping: the next process wakes the step at the recorded time, not an hour after it restarted", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const ledger = path.join(dir, "ledger");
  const child = spawnNode(path.join(FIXTURES, "sleep-child.mjs"), [db, "r-crash"], { LEDGER: ledger });
  await child.line(/^started$/);
  const observer = await Cairn.open({ db, execute: false, recover: false });
  let wakeAt: number;
  try {
    const parked = await until(
      async () => (await stepOf(observer, "r-crash", "nap")).wait,
      "the step to park",
    );
    wakeAt = parked.until!;
    child.child.kill("SIGKILL");
    await child.exited;
    const shown = await cli(["show", "r-crash", "--db", db], { cwd: dir });
    assert.match(shown.stdout, new RegExp(`nap .*sleeping until ${new Date(wakeAt).toISOString()}`));
  } finally {
    await observer.close();
  }

  // A process that restarts half an hour later: the step stays parked at the recorded time.
  process.env.LEDGER = ledger;
  const { reminder, clock } = (await import(path.join(FIXTURES, "sleep-workflow.mjs"))) as {
    reminder: Parameters<Cairn["register"]>[0];
    clock: () => number;
  };
  process.env.CLOCK_OFFSET_MS = String(HOUR / 2);
  const cairn = await Cairn.open({ db, pollIntervalMs: 20, clock });
  try {
    await cairn.register(reminder); // recovers the run: its driving process is gone
    const step = await stepOf(cairn, "r-crash", "nap");
    assert.equal(step.status, "ready");
    assert.deepEqual(step.wait, { kind: "sleep", until: wakeAt });
    assert.equal(step.readyAt, wakeAt);
    assert.equal((await cairn.get("r-crash"))!.run.status, "running");

    // The hour has passed (the process's clock) and the store's clock reached the wake time.
    process.env.CLOCK_OFFSET_MS = String(HOUR + 1000);
    await backdateWake(storeOf(cairn), "r-crash", "nap");
    const run = await cairn.wait("r-crash");
    assert.equal(run.status, "succeeded");
    assert.equal(run.output, "woke up");
    assert.deepEqual(readLines(ledger), ["email sent"]);
    const waits = (await cairn.events("r-crash")).filter((e) => e.type === "step.waiting");
    assert.equal(waits.length, 1, "not parked a second time for a fresh hour");
  } finally {
    await cairn.close({ abort: true });
    delete process.env.CLOCK_OFFSET_MS;
    delete process.env.LEDGER;
  }
});

test("YAML: sleep: and until: steps; the foreground run prints the wake time and continues after it", async () => {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, "pause.yaml"),
    [
      "id: pause",
      "steps:",
      "  - id: long-past",
      "    until: 2001-01-01T00:00:00Z",
      "  - id: cool-off",
      "    sleep: 300ms",
      "  - id: done",
      "    run: echo finished",
    ].join("\n"),
  );
  const result = await cli(["run", "pause.yaml", "--id", "r-yaml", "--db", "cairn.db"], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /cool-off +sleeping until \d{4}-\d\d-\d\dT/);
  assert.doesNotMatch(result.stdout, /long-past +sleeping/, "a time already past does not park");
  const shown = await cli(["show", "r-yaml", "--db", "cairn.db", "--json"], { cwd: dir });
  const steps = (
    JSON.parse(shown.stdout) as { steps: Array<{ id: string; status: string; attempts: number }> }
  ).steps;
  assert.deepEqual(
    steps.map((s) => [s.id, s.status, s.attempts]),
    [
      ["long-past", "succeeded", 1],
      ["cool-off", "succeeded", 1],
      ["done", "succeeded", 1],
    ],
  );
});

test("YAML: a bad sleep or until is reported at its line; sleep and run together are refused", async () => {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, "bad.yaml"),
    [
      "id: bad",
      "steps:",
      "  - id: a",
      "    sleep: soon",
      "  - id: b",
      "    until: tomorrow",
      "  - id: c",
      "    sleep: 1m",
      "    run: echo hi",
    ].join("\n"),
  );
  const result = await cli(["run", "bad.yaml", "--db", "cairn.db"], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /bad\.yaml:4:12: step "a": sleep must be a duration like "500ms", "30s", "5m" or "1h", got "soon"/,
  );
  assert.match(
    result.stderr,
    /bad\.yaml:6:12: step "b": until must be an ISO 8601 time like 2026-12-24T18:00:00Z, got "tomorrow"/,
  );
  assert.match(result.stderr, /bad\.yaml:7:5: step "c": needs exactly one of .*, not "run" and "sleep"/);
  assert.equal(fs.existsSync(path.join(dir, "cairn.db")), false, "nothing is written for an invalid file");
});

test("user memo keys may not use Cairn's reserved prefix", async () => {
  const cairn = await Cairn.open({ db: path.join(tempDir(), "cairn.db"), pollIntervalMs: 20 });
  try {
    const wf = workflow("reserved").step("s", async (ctx) => ctx.memo("cairn:sleep:1", () => 1));
    const run = await (await cairn.start(wf, {})).result();
    assert.equal(run.status, "failed");
    assert.match(run.error?.message ?? "", /Memo keys starting with "cairn:" are Cairn's own/);
  } finally {
    await cairn.close();
  }
});

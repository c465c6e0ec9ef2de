import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, workflow } from "../src/index.js";
import { spawnNode } from "./helpers/child.js";
import { cli } from "./helpers/cli.js";
import { readLines, tempDir } from "./helpers/temp.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const CHILD = path.join(FIXTURES, "policy-child.mjs");

/** Run a policy workflow in a child process and SIGKILL it while its step hangs. */
async function crashMidStep(db: string, name: string, runId: string, ledger: string): Promise<number> {
  const child = spawnNode(CHILD, [db, name, runId], { HANG: "1", LEDGER: ledger });
  await child.line(/^in-step$/);
  child.child.kill("SIGKILL");
  await child.exited;
  return child.child.pid!;
}

async function openWith(db: string, name: string, ledger?: string): Promise<Cairn> {
  if (ledger) process.env.LEDGER = ledger;
  else delete process.env.LEDGER;
  const { workflows } = (await import(path.join(FIXTURES, "policy-workflows.mjs"))) as {
    workflows: Record<string, Parameters<Cairn["register"]>[0]>;
  };
  const cairn = await Cairn.open({ db, pollIntervalMs: 20, recoveryIntervalMs: 100_000 });
  await cairn.register(workflows[name]!); // registering runs recovery for this workflow's runs
  return cairn;
}

test("auto recovery: a process that opens the store re-executes the step whose owner died, without consuming an attempt", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const ledger = path.join(dir, "ledger");
  const pid = await crashMidStep(db, "auto", "r-auto", ledger);
  const cairn = await openWith(db, "auto", ledger);
  try {
    const run = await cairn.wait("r-auto");
    assert.equal(run.status, "succeeded");
    assert.deepEqual(readLines(ledger), [
      "before attempt 1",
      "work attempt 1",
      "work attempt 1",
      "after attempt 1",
    ]);
    const work = (await cairn.get("r-auto"))!.steps.find((s) => s.stepId === "work")!;
    assert.equal(work.recoveries, 1);
    assert.equal(work.attempts, 1, "a crash does not consume a retry attempt");
    assert.deepEqual(work.provenance, { kind: "recovered", reason: "crash-recovery" });
    const recovered = (await cairn.events("r-auto")).find((e) => e.type === "step.recovered")!;
    assert.match(
      String((recovered.data as { reason: string }).reason),
      new RegExp(`owner process ${pid} .* is gone`),
    );
    const history = await cairn.history("r-auto");
    assert.deepEqual(
      history.map((h) => [h.number, h.action, h.trigger, h.outcome]),
      [
        [1, "start", "library", "interrupted"],
        [2, "resume", "auto", "succeeded"],
      ],
    );
    assert.match(history[0]!.note!, new RegExp(`owner process ${pid} .* is gone`));
  } finally {
    await cairn.close();
  }
});

test("manual recovery: the run becomes interrupted with the reason, `cairn show` says why, and resume continues it", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const ledger = path.join(dir, "ledger");
  const pid = await crashMidStep(db, "manual", "r-manual", ledger);

  // A reader that executes nothing already sees the run as interrupted, with the reason.
  const show = await cli(["show", "r-manual", "--db", db], { cwd: dir });
  assert.equal(show.code, 0, show.stderr);
  assert.match(
    show.stdout,
    new RegExp(`status +! interrupted — step "work" was running but owner process ${pid} .* is gone`),
  );

  const cairn = await openWith(db, "manual", ledger);
  try {
    const view = (await cairn.get("r-manual"))!;
    assert.equal(view.run.status, "interrupted");
    assert.match(view.run.reason!, /step "work" was running but owner process \d+ .* is gone/);
    assert.equal(view.orphaned, null, "the interruption is recorded, not just derived");
    assert.deepEqual(
      readLines(ledger),
      ["before attempt 1", "work attempt 1"],
      "nothing ran again by itself",
    );
    const plan = await cairn.resumePlan("r-manual");
    assert.deepEqual(
      plan.steps.map((s) => `${s.stepId}:${s.action}`),
      ["before:keep", "work:reset", "after:run"],
    );
    const run = await (await cairn.resume("r-manual")).result();
    assert.equal(run.status, "succeeded");
    assert.deepEqual(readLines(ledger), [
      "before attempt 1",
      "work attempt 1",
      "work attempt 2",
      "after attempt 1",
    ]);
  } finally {
    await cairn.close();
  }
});

test("a non-idempotent step in flight at a crash is not re-run automatically; a person marks it done", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const ledger = path.join(dir, "ledger");
  await crashMidStep(db, "charge", "r-charge", ledger);
  const cairn = await openWith(db, "charge", ledger);
  try {
    const view = (await cairn.get("r-charge"))!;
    assert.equal(view.run.status, "interrupted");
    assert.match(view.run.reason!, /step "work" may have partly run its side effects/);
    assert.deepEqual(readLines(ledger), ["before attempt 1", "work attempt 1"]);
    const run = await (
      await cairn.resume("r-charge", { markDone: { stepId: "work", output: "charged once" } })
    ).result();
    assert.equal(run.status, "succeeded");
    assert.deepEqual(readLines(ledger), ["before attempt 1", "work attempt 1", "after attempt 1"]);
  } finally {
    await cairn.close();
  }
});

test("maxRecoveries: after that many automatic recoveries the run waits for a person", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const ledger = path.join(dir, "ledger");
  await crashMidStep(db, "fragile", "r-fragile", ledger);
  // First crash: recovered automatically (maxRecoveries 1) — by a process that crashes again mid-step.
  const again = spawnNode(path.join(FIXTURES, "recover-child.mjs"), [db, "fragile"], {
    HANG: "1",
    LEDGER: ledger,
  });
  await again.line(/^in-step$/);
  again.child.kill("SIGKILL");
  await again.exited;
  const cairn = await openWith(db, "fragile", ledger);
  try {
    const view = (await cairn.get("r-fragile"))!;
    assert.equal(view.run.status, "interrupted");
    assert.match(view.run.reason!, /already recovered 1 times \(maxRecoveries 1\)/);
    assert.equal(readLines(ledger).filter((l) => l.startsWith("work")).length, 2);
  } finally {
    await cairn.close();
  }
});

test("a checkpointed step continues from its last checkpoint after a crash", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const ledger = path.join(dir, "ledger");
  await crashMidStep(db, "progress", "r-progress", ledger);
  const cairn = await openWith(db, "progress", ledger);
  try {
    const run = await cairn.wait("r-progress");
    assert.equal(run.status, "succeeded");
    const items = readLines(ledger).filter((l) => l.startsWith("item"));
    // Items 0-4 were checkpointed before the crash (item 4 was being processed when it died).
    assert.deepEqual(items, [
      "item 0",
      "item 1",
      "item 2",
      "item 3",
      "item 4",
      "item 5",
      "item 6",
      "item 7",
      "item 8",
      "item 9",
    ]);
    const step = (await cairn.get("r-progress"))!.steps.find((s) => s.stepId === "progress")!;
    assert.deepEqual(step.checkpoint, { next: 10 });
  } finally {
    await cairn.close();
  }
});

test("stuck detection: a step whose lease expired or that ran past its timeout is found, with the reason", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const cairn = await Cairn.open({ db, execute: false });
  try {
    const wf = workflow("remote", { recovery: "manual" })
      .step("a", { timeout: 1000 }, async () => 1)
      .step("b", { needs: [] }, async () => 2);
    await cairn.register(wf);
    const handle = await cairn.start(wf, {}, { detach: true });
    // Another machine claimed both steps: one worker stopped heartbeating, the other is alive but its
    // step ran far past its timeout.
    const now = Date.now();
    await storeOf(cairn).transaction(async (tx) => {
      for (const [id, heartbeatAt] of [
        ["w-gone", now - 120_000],
        ["w-busy", now],
      ] as const)
        await tx.upsertWorker({
          id,
          host: "other-host",
          pid: 1,
          pidStart: null,
          bootId: null,
          startedAt: now - 200_000,
          heartbeatAt,
          leaseMs: 30_000,
          stoppedAt: null,
        });
      await tx.updateStep(
        { runId: handle.id, stepId: "a" },
        {
          status: "running",
          leaseOwner: "w-busy",
          leaseExpiresAt: now + 30_000,
          startedAt: now - 60_000,
          attempts: 1,
          leaseEpoch: 1,
        },
      );
      await tx.updateStep(
        { runId: handle.id, stepId: "b" },
        {
          status: "running",
          leaseOwner: "w-gone",
          leaseExpiresAt: now - 90_000,
          startedAt: now - 100_000,
          attempts: 1,
          leaseEpoch: 1,
        },
      );
    });
    const view = (await cairn.get(handle.id))!;
    assert.equal(view.run.status, "interrupted");
    assert.match(view.orphaned!, /step "a" was running but it timed out \(running \d+ms, timeout 1000ms\)/);
    const recovering = await Cairn.open({ db: storeOf(cairn), recoveryIntervalMs: 100_000 });
    await recovering.register(wf); // registering applies the recovery policy
    const second = await recovering.recover();
    await recovering.close();
    const reasons = (await cairn.events(handle.id))
      .filter((e) => e.type === "run.interrupted")
      .map((e) => (e.data as { reason: string }).reason);
    assert.equal(reasons.length, 1);
    assert.match(
      reasons[0]!,
      /step "(a|b)" was running but (it timed out|worker w-gone on other-host stopped heartbeating at)/,
    );
    assert.deepEqual(
      second,
      { recovered: [], interrupted: [] },
      "a second sweep finds nothing left to process",
    );
  } finally {
    await cairn.close();
  }
});

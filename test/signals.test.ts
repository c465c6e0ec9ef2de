import assert from "node:assert/strict";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { StepRecord } from "../src/core/types.js";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, workflow } from "../src/index.js";
import type { Store } from "../src/store/store.js";
import { spawnNode } from "./helpers/child.js";
import { gate } from "./helpers/engine.js";
import { pgTestDb } from "./helpers/pg.js";
import { readLines, tempDir, until } from "./helpers/temp.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const SCHEMA = { type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] };

const stores: Array<[string, (t: TestContext) => Promise<string | Store | null>]> = [
  ["sqlite", async () => path.join(tempDir(), "cairn.db")],
  ["postgres", async (t) => (await pgTestDb(t))?.open() ?? null],
];

// Run directories go under a temp dir (a PostgreSQL store puts them under ./.cairn).
process.chdir(tempDir());

async function stepOf(cairn: Cairn, runId: string, stepId: string): Promise<StepRecord> {
  return (await cairn.get(runId))!.steps.find((s) => s.stepId === stepId)!;
}

for (const [kind, open] of stores) {
  test(`${kind}: a wait parks until its signal; bad data is refused and not consumed; the data is the output`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const wf = workflow("approve-deploy")
      .step("ask", async (ctx) => ctx.waitForSignal("approve", { schema: SCHEMA }))
      .step("deploy", { needs: ["ask"] }, async ({ needs }) => ({
        deployed: (needs.ask as { approved: boolean }).approved,
      }));
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      await cairn.start(wf, {}, { runId: "r-wait" });
      const parked = await until(async () => (await stepOf(cairn, "r-wait", "ask")).wait, "the wait to park");
      assert.deepEqual(parked, { kind: "signal", name: "approve", until: null, schema: SCHEMA });
      await assert.rejects(cairn.signal("r-wait", "approve", { approved: "yes" }), {
        code: "INVALID_INPUT",
        message: /Signal "approve" does not fit the schema of step "ask": approved: .*boolean/,
      });
      assert.deepEqual(
        await storeOf(cairn).read((tx) => tx.listSignals("r-wait")),
        [],
        "a refused signal is not kept",
      );
      await assert.rejects(cairn.signal("nope", "approve", {}), { code: "NOT_FOUND" });

      // Concurrent senders with one key: accepted once, delivered once.
      const receipts = await Promise.all(
        [1, 2, 3, 4, 5].map(() => cairn.signal("r-wait", "approve", { approved: true }, { key: "ticket-7" })),
      );
      assert.equal(receipts.filter((r) => r.accepted).length, 1);
      const run = await cairn.wait("r-wait");
      assert.equal(run.status, "succeeded");
      assert.deepEqual(run.output, { deployed: true });
      const ask = await stepOf(cairn, "r-wait", "ask");
      assert.deepEqual(ask.output, { approved: true });
      assert.equal(ask.attempts, 1);
      const signals = await storeOf(cairn).read((tx) => tx.listSignals("r-wait"));
      assert.deepEqual(
        signals.map((s) => [s.key, s.takenBy]),
        [["ticket-7", "ask"]],
      );
      await assert.rejects(cairn.signal("r-wait", "approve", {}), { code: "CONFLICT" });
    } finally {
      await cairn.close({ abort: true });
    }
  });

  test(`${kind}: a signal sent before the run reaches the wait is kept and delivered once`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const hold = gate();
    const wf = workflow("early")
      .step("first", async () => hold.promise)
      .step("one", { needs: ["first"] }, async (ctx) => ctx.waitForSignal("go"))
      .step("two", { needs: ["one"] }, async (ctx) =>
        ctx.waitForSignal("go", { timeout: "1h", default: "none left" }),
      );
    let offsetMs = 0;
    const cairn = await Cairn.open({ db, pollIntervalMs: 20, clock: () => Date.now() + offsetMs });
    try {
      await cairn.start(wf, {}, { runId: "r-early" });
      const receipt = await cairn.signal("r-early", "go", "early bird");
      assert.deepEqual(receipt, { accepted: true, wokeStep: null, runStatus: "running" });
      hold.open();
      // "two" finds no signal left: it parks until its timeout; at the timeout it takes the default.
      const parked = await until(
        async () => (await stepOf(cairn, "r-early", "two")).wait,
        "the second wait to park",
      );
      assert.equal((await stepOf(cairn, "r-early", "one")).output, "early bird");
      offsetMs = 3_600_000 + 1000;
      await storeOf(cairn).transaction(async (tx) =>
        tx.updateStep({ runId: "r-early", stepId: "two" }, { readyAt: await tx.now() }, ["ready"]),
      );
      assert.ok(parked.until !== null);
      const run = await cairn.wait("r-early");
      assert.equal(run.status, "succeeded");
      assert.equal(run.output, "none left");
    } finally {
      await cairn.close({ abort: true });
    }
  });
}

test("a wait's timeout without a default fails the step with the reason", async () => {
  let offsetMs = 0;
  const cairn = await Cairn.open({
    db: path.join(tempDir(), "cairn.db"),
    pollIntervalMs: 20,
    clock: () => Date.now() + offsetMs,
  });
  try {
    const wf = workflow("late").step("ask", async (ctx) => ctx.waitForSignal("approve", { timeout: "10m" }));
    await cairn.start(wf, {}, { runId: "r-late" });
    const parked = await until(async () => (await stepOf(cairn, "r-late", "ask")).wait, "the wait to park");
    assert.equal(parked.kind, "signal");
    offsetMs = 600_000 + 1000;
    await storeOf(cairn).transaction(async (tx) =>
      tx.updateStep({ runId: "r-late", stepId: "ask" }, { readyAt: await tx.now() }, ["ready"]),
    );
    const run = await cairn.wait("r-late");
    assert.equal(run.status, "failed");
    assert.match(run.error?.message ?? "", /No signal "approve" arrived within 10m/);
  } finally {
    await cairn.close({ abort: true });
  }
});

test("SIGKILL while waiting for a signal, then the signal: another process continues the run, preparing nothing twice", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const ledger = path.join(dir, "ledger");
  const child = spawnNode(path.join(FIXTURES, "signal-child.mjs"), [db, "r-kill"], { LEDGER: ledger });
  await child.line(/^started$/);
  const observer = await Cairn.open({ db, execute: false, recover: false });
  try {
    await until(async () => (await stepOf(observer, "r-kill", "decide")).wait, "the wait to park");
  } finally {
    await observer.close();
  }
  child.child.kill("SIGKILL");
  await child.exited;
  process.env.LEDGER = ledger;
  const { approval } = (await import(path.join(FIXTURES, "signal-workflow.mjs"))) as {
    approval: Parameters<Cairn["register"]>[0];
  };
  const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
  try {
    await cairn.register(approval); // recovers the run: its driving process is gone
    const receipt = await cairn.signal("r-kill", "approve", { approved: false });
    assert.equal(receipt.wokeStep, "decide");
    const run = await cairn.wait("r-kill");
    assert.equal(run.status, "succeeded");
    assert.deepEqual(run.output, { answer: { approved: false } });
    assert.deepEqual(readLines(ledger), ["prepared"]);
  } finally {
    await cairn.close({ abort: true });
    delete process.env.LEDGER;
  }
});

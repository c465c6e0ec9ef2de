import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { Cairn, workflow } from "../src/index.js";
import type { Store } from "../src/store/store.js";
import { pgTestDb } from "./helpers/pg.js";
import { tempDir } from "./helpers/temp.js";

const stores: Array<[string, (t: TestContext) => Promise<string | Store | null>]> = [
  ["sqlite", async () => path.join(tempDir(), "cairn.db")],
  ["postgres", async (t) => (await pgTestDb(t))?.open() ?? null],
];

// Run directories go under a temp dir (a PostgreSQL store puts them under ./.cairn).
process.chdir(tempDir());

/**
 * A child workflow whose step counts its executions in a file and fails while the count is at most
 * `failures`; it answers with the id of the run that executed it.
 */
function flaky(counter: string, failures: number) {
  return workflow("flaky").step("work", async (ctx) => {
    const count = Number(fs.existsSync(counter) ? fs.readFileSync(counter, "utf8") : "0") + 1;
    fs.writeFileSync(counter, String(count));
    if (count <= failures) throw new Error(`flaky failed on execution ${count}`);
    return { by: ctx.run.id };
  });
}

/** A caller whose step (two attempts) returns its child's output. */
const caller = workflow("retrying-caller").step(
  "call",
  { retry: { attempts: 2, backoff: { initial: "10ms" } } },
  async (ctx) => ctx.runWorkflow("flaky", {}),
);

for (const [kind, open] of stores) {
  test(`${kind}: a retry of a step whose child failed starts a new child run and succeeds with its output`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const counter = path.join(tempDir(), "count");
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      await cairn.register(flaky(counter, 1));
      await cairn.start(caller, {}, { runId: "r-retry" });
      const run = await cairn.wait("r-retry");
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      assert.deepEqual(run.output, { by: "r-retry.call.1.a2" }, "the second child's output");
      const children = await cairn.runsCalledBy("r-retry");
      assert.deepEqual(
        children.map((r) => [r.id, r.status, r.callerRunId, r.callerStepId]),
        [
          ["r-retry.call.1", "failed", "r-retry", "call"],
          ["r-retry.call.1.a2", "succeeded", "r-retry", "call"],
        ],
      );
      assert.match(children[0]!.error?.message ?? "", /flaky failed on execution 1/);
      const call = (await cairn.get("r-retry"))!.steps.find((s) => s.stepId === "call")!;
      assert.equal(call.attempts, 2, "the second child was started by the step's second attempt");
      assert.equal(fs.readFileSync(counter, "utf8"), "2", "each child executed once");
    } finally {
      await cairn.close({ abort: true });
    }
  });

  test(`${kind}: after the retries fail, resuming the caller resumes only its last child; the retired one stays apart`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const counter = path.join(tempDir(), "count");
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      await cairn.register(flaky(counter, 2));
      await cairn.start(caller, {}, { runId: "r-spent" });
      const failed = await cairn.wait("r-spent");
      assert.equal(failed.status, "failed");
      assert.match(
        failed.error?.message ?? "",
        /Child run "r-spent\.call\.1\.a2" \(workflow "flaky"\) failed/,
      );
      assert.deepEqual(
        (await cairn.runsCalledBy("r-spent")).map((r) => [r.id, r.status]),
        [
          ["r-spent.call.1", "failed"],
          ["r-spent.call.1.a2", "failed"],
        ],
      );

      // The retired child is no longer the step's: resuming it does not resume the caller.
      const own = await cairn.resume("r-spent.call.1");
      assert.equal(own.plan.linkedRuns, undefined);
      assert.equal((await cairn.wait("r-spent.call.1")).status, "succeeded");
      assert.equal((await cairn.run("r-spent"))?.status, "failed");

      const resumed = await cairn.resume("r-spent");
      assert.deepEqual(resumed.plan.linkedRuns, [{ runId: "r-spent.call.1.a2", relation: "child" }]);
      const run = await cairn.wait("r-spent");
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      assert.deepEqual(run.output, { by: "r-spent.call.1.a2" }, "the resumed child's output");
      assert.equal((await cairn.runsCalledBy("r-spent")).length, 2, "the resume started no third child");
      assert.equal(fs.readFileSync(counter, "utf8"), "4");
    } finally {
      await cairn.close({ abort: true });
    }
  });

  test(`${kind}: a resume that reruns a changed step (its memos forgotten) starts a new child run for it`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const counter = path.join(tempDir(), "count");
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      await cairn.register(flaky(counter, 0));
      const v1 = workflow("changing")
        .step("call", async (ctx) => ctx.runWorkflow("flaky", {}))
        .step("after", async () => {
          throw new Error("not yet");
        });
      await cairn.start(v1, {}, { runId: "r-changed" });
      assert.equal((await cairn.wait("r-changed")).status, "failed");
      const v2 = workflow("changing")
        .step("call", async (ctx) => ({ v2: await ctx.runWorkflow("flaky", {}) }))
        .step("after", async (ctx) => ctx.needs.call);
      await cairn.register(v2);
      await cairn.resume("r-changed", { onChange: "rerun" });
      const run = await cairn.wait("r-changed");
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      assert.deepEqual(run.output, { v2: { by: "r-changed.call.1.a2" } }, "a new child, not the old one");
      assert.deepEqual(
        (await cairn.runsCalledBy("r-changed")).map((r) => [r.id, r.status]),
        [
          ["r-changed.call.1", "succeeded"],
          ["r-changed.call.1.a2", "succeeded"],
        ],
      );
    } finally {
      await cairn.close({ abort: true });
    }
  });
}

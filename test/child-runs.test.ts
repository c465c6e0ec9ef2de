import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { Cairn, workflow } from "../src/index.js";
import { loadWorkflowFile } from "../src/loader/load-workflow-file.js";
import type { Store } from "../src/store/store.js";
import { pgTestDb } from "./helpers/pg.js";
import { tempDir, until } from "./helpers/temp.js";

const stores: Array<[string, (t: TestContext) => Promise<string | Store | null>]> = [
  ["sqlite", async () => path.join(tempDir(), "cairn.db")],
  ["postgres", async (t) => (await pgTestDb(t))?.open() ?? null],
];

// Run directories go under a temp dir (a PostgreSQL store puts them under ./.cairn).
process.chdir(tempDir());

/** A child workflow that doubles `n`, failing while `failing.on`; counts its executions. */
function doubler(failing: { on: boolean; executions: number }) {
  return workflow("double").step("work", async (ctx) => {
    failing.executions++;
    if (failing.on) throw new Error("the doubler is broken");
    return { doubled: (ctx.input as { n: number }).n * 2 };
  });
}

const caller = workflow("caller")
  .step("prepare", async () => ({ n: 21 }))
  .step("call", { needs: ["prepare"] }, async (ctx) => {
    const result = (await ctx.runWorkflow("double", ctx.needs.prepare)) as { doubled: number };
    return { answer: result.doubled };
  });

for (const [kind, open] of stores) {
  test(`${kind}: a step starts a child run, parks holding no slot, and returns the child's output`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const failing = { on: false, executions: 0 };
    // One slot: the child's step can only run if the waiting caller gave its slot back.
    const cairn = await Cairn.open({ db, pollIntervalMs: 20, concurrency: 1 });
    try {
      await cairn.register(doubler(failing));
      await cairn.start(caller, {}, { runId: "r-call" });
      const run = await cairn.wait("r-call");
      assert.equal(run.status, "succeeded");
      assert.deepEqual(run.output, { answer: 42 });
      const child = await cairn.run("r-call.call.1");
      assert.equal(child?.status, "succeeded");
      assert.deepEqual(child?.input, { n: 21 });
      assert.deepEqual([child?.callerRunId, child?.callerStepId], ["r-call", "call"]);
      assert.equal(child?.parentRunId, null, "a child run is not lineage (restart/rerun)");
      assert.deepEqual(
        (await cairn.runsCalledBy("r-call")).map((r) => r.id),
        ["r-call.call.1"],
      );
      assert.equal(failing.executions, 1);
      const call = (await cairn.get("r-call"))!.steps.find((s) => s.stepId === "call")!;
      assert.equal(call.attempts, 1, "parking gives the attempt back");
      const listed = await cairn.list({});
      assert.ok(
        listed.some((r) => r.id === "r-call.call.1"),
        "the child is listed like any run",
      );
    } finally {
      await cairn.close({ abort: true });
    }
  });

  test(`${kind}: a failed child fails its caller's step; resuming the caller resumes the child, started once`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const failing = { on: true, executions: 0 };
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      await cairn.register(doubler(failing));
      await cairn.start(caller, {}, { runId: "r-fail" });
      const failed = await cairn.wait("r-fail");
      assert.equal(failed.status, "failed");
      assert.match(
        failed.error?.message ?? "",
        /Step "call" failed: Child run "r-fail.call.1" \(workflow "double"\) failed: Step "work" failed: the doubler is broken/,
      );
      assert.equal((await cairn.run("r-fail.call.1"))?.status, "failed");
      failing.on = false;
      const resumed = await cairn.resume("r-fail");
      assert.deepEqual(resumed.plan.linkedRuns, [{ runId: "r-fail.call.1", relation: "child" }]);
      const run = await cairn.wait("r-fail");
      assert.equal(run.status, "succeeded");
      assert.deepEqual(run.output, { answer: 42 });
      assert.equal((await cairn.run("r-fail.call.1"))?.status, "succeeded");
      assert.equal((await cairn.runsCalledBy("r-fail")).length, 1, "no second child was started");
      assert.equal(failing.executions, 2, "the child's step: failed once, then resumed once");
    } finally {
      await cairn.close({ abort: true });
    }
  });

  test(`${kind}: resuming a failed child on its own resumes its caller, which continues with the child's output`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const failing = { on: true, executions: 0 };
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      await cairn.register(doubler(failing));
      await cairn.start(caller, {}, { runId: "r-own" });
      assert.equal((await cairn.wait("r-own")).status, "failed");
      failing.on = false;
      const resumed = await cairn.resume("r-own.call.1");
      assert.deepEqual(resumed.plan.linkedRuns, [{ runId: "r-own", relation: "caller" }]);
      assert.equal((await cairn.wait("r-own.call.1")).status, "succeeded");
      const run = await cairn.wait("r-own");
      assert.equal(run.status, "succeeded");
      assert.deepEqual(run.output, { answer: 42 });
      assert.equal((await cairn.runsCalledBy("r-own")).length, 1);
      assert.equal(failing.executions, 2);
    } finally {
      await cairn.close({ abort: true });
    }
  });

  test(`${kind}: cancelling the caller cancels its unfinished child; resuming the caller resumes both`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const child = workflow("approval-child").step("ask", async (ctx) => ctx.waitForSignal("approve"));
    const parent = workflow("approval-parent").step("delegate", async (ctx) =>
      ctx.runWorkflow("approval-child", {}),
    );
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      await cairn.register(child);
      await cairn.start(parent, {}, { runId: "r-cancel" });
      const childId = "r-cancel.delegate.1";
      await until(async () => (await cairn.get(childId))?.steps[0]?.wait, "the child's wait to park");
      const view = await cairn.get("r-cancel");
      assert.deepEqual(view?.steps[0]?.wait, {
        kind: "child",
        runId: childId,
        workflowId: "approval-child",
        until: null,
      });
      await cairn.cancel("r-cancel");
      assert.equal((await cairn.run("r-cancel"))?.status, "cancelled");
      const cancelled = await cairn.run(childId);
      assert.equal(cancelled?.status, "cancelled");
      assert.match(cancelled?.reason ?? "", /with its caller run "r-cancel"/);
      const resumed = await cairn.resume("r-cancel");
      assert.deepEqual(resumed.plan.linkedRuns, [{ runId: childId, relation: "child" }]);
      await until(async () => (await cairn.get(childId))?.steps[0]?.wait, "the child's wait to park again");
      await cairn.signal(childId, "approve", "yes");
      const run = await cairn.wait("r-cancel");
      assert.equal(run.status, "succeeded");
      assert.equal(run.output, "yes");
      assert.equal((await cairn.runsCalledBy("r-cancel")).length, 1);
    } finally {
      await cairn.close({ abort: true });
    }
  });

  test(`${kind}: YAML run-workflow starts the child with its input's expressions resolved`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, "greet.yaml"),
      ["id: greet", "steps:", "  - id: hello", '    run: cp "$CAIRN_INPUT_FILE" "$CAIRN_OUTPUT"', ""].join(
        "\n",
      ),
    );
    fs.writeFileSync(
      path.join(dir, "parent.yaml"),
      [
        "id: greeter",
        "steps:",
        "  - id: who",
        "    run: |",
        '      echo \'{"name": "Ada"}\' > "$CAIRN_OUTPUT"',
        "  - id: child",
        "    run-workflow: greet",
        "    input:",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Cairn expressions in the YAML text
        "      name: ${{ needs.who.output.name }}",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Cairn expressions in the YAML text
        "      from: ${{ input.from }}",
        "",
      ].join("\n"),
    );
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      for (const file of ["greet.yaml", "parent.yaml"])
        for (const definition of await loadWorkflowFile(path.join(dir, file)))
          await cairn.register(definition);
      await cairn.start("greeter", { from: "yaml" }, { runId: "r-yaml" });
      const run = await cairn.wait("r-yaml");
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      const child = await cairn.run("r-yaml.child.1");
      assert.deepEqual(child?.input, { name: "Ada", from: "yaml" });
      assert.deepEqual(run.output, { name: "Ada", from: "yaml" }, "the step's output is the child's");
    } finally {
      await cairn.close({ abort: true });
    }
  });
}

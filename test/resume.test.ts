import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { CairnError, workflow } from "../src/index.js";
import { gate, openTemp } from "./helpers/engine.js";

/** A three-step chain whose middle step fails while `state.broken` is true; counts executions. */
function chain(state: { broken: boolean; calls: Record<string, number> }) {
  const count = (id: string) => (state.calls[id] = (state.calls[id] ?? 0) + 1);
  return workflow("chain")
    .step("fetch", async ({ run }) => {
      count("fetch");
      fs.writeFileSync(path.join(run.workdir, "fetched.txt"), "rows");
      return { rows: 3 };
    })
    .step("transform", async ({ needs }) => {
      count("transform");
      if (state.broken) throw new Error("transform crashed on row 2");
      return needs.fetch.rows * 2;
    })
    .step("load", async ({ needs, run }) => {
      count("load");
      return {
        loaded: needs.transform,
        file: fs.readFileSync(path.join(run.workdir, "fetched.txt"), "utf8"),
      };
    });
}

async function rejects(promise: Promise<unknown>, code: string, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CairnError, `expected a CairnError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

test("resume continues a failed run in place: same id and directory, finished steps kept, failed step executed again", async () => {
  const { cairn } = await openTemp();
  const state = { broken: true, calls: {} as Record<string, number> };
  const wf = chain(state);
  const handle = await cairn.start(wf, {});
  const failed = await handle.result();
  assert.equal(failed.status, "failed");
  const workdir = failed.workdir;
  assert.ok(fs.existsSync(path.join(workdir, "fetched.txt")));

  state.broken = false;
  const resumed = await cairn.resume(handle.id);
  assert.equal(resumed.id, handle.id);
  const run = await resumed.result();
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, { loaded: 6, file: "rows" });
  assert.equal(run.workdir, workdir, "the run's working directory is reused");
  assert.deepEqual(state.calls, { fetch: 1, transform: 2, load: 1 }, "fetch was not executed again");
  assert.equal(run.attempt, 2);

  const plan = resumed.plan.steps.map((s) => `${s.stepId}:${s.action}`);
  assert.deepEqual(plan, ["fetch:keep", "transform:retry", "load:run"]);
  const history = await cairn.history(handle.id);
  assert.deepEqual(
    history.map((h) => [h.number, h.action, h.trigger, h.outcome, h.stepsDone, h.stepsTotal]),
    [
      [1, "start", "library", "failed", 0, 3],
      [2, "resume", "library", "succeeded", 1, 3],
    ],
  );
  const transform = (await cairn.get(handle.id))!.steps.find((s) => s.stepId === "transform")!;
  assert.deepEqual(transform.provenance, { kind: "executed", reason: "failed" });
  assert.equal(transform.attempts, 2);
});

test("resume is refused for a succeeded run, a live run and an unknown run, each with a sentence saying why", async () => {
  const { cairn } = await openTemp();
  const state = { broken: false, calls: {} };
  const done = await (await cairn.start(chain(state), {})).result();
  await rejects(cairn.resume(done.id), "CONFLICT", /already succeeded.*restart.*rerun/);
  await rejects(cairn.resume("nope"), "NOT_FOUND", /Run "nope" does not exist/);

  const hold = gate();
  const live = workflow("live").step("wait", async () => hold.promise);
  const handle = await cairn.start(live, {});
  await rejects(
    cairn.resume(handle.id),
    "CONFLICT",
    /is still running\. Wait for it to finish, or cancel or pause it first/,
  );
  hold.open();
  assert.equal((await handle.result()).status, "succeeded");
});

test("the dry-run plan says what resume would do and why, and changes nothing", async () => {
  const { cairn } = await openTemp();
  const state = { broken: true, calls: {} };
  const handle = await cairn.start(chain(state), {});
  await handle.result();
  const before = await cairn.get(handle.id);
  const plan = await cairn.resumePlan(handle.id);
  assert.deepEqual(
    plan.steps.map((s) => [s.stepId, s.action, s.why]),
    [
      ["fetch", "keep", "succeeded; its recorded output is returned"],
      ["transform", "retry", "failed: transform crashed on row 2"],
      ["load", "run", "had not run yet"],
    ],
  );
  assert.equal(plan.refusal, null);
  const noRetry = await cairn.resumePlan(handle.id, { retryFailed: false });
  assert.deepEqual(
    noRetry.steps.map((s) => s.action),
    ["keep", "blocked", "blocked"],
  );
  assert.deepEqual(await cairn.get(handle.id), before, "a dry run changes nothing");
  assert.equal((await cairn.history(handle.id)).length, 1);
});

test("strategies: retryFailed off keeps the failure; maxAttempts exhausts the budget unless resetAttempts", async () => {
  const { cairn } = await openTemp();
  const state = { broken: true, calls: {} as Record<string, number> };
  const handle = await cairn.start(chain(state), {});
  await handle.result();

  const kept = await (await cairn.resume(handle.id, { retryFailed: false })).result();
  assert.equal(kept.status, "failed");
  assert.equal(state.calls.transform, 1, "the failed step was not executed again");

  await (await cairn.resume(handle.id)).result(); // second execution, still broken
  assert.equal(state.calls.transform, 2);
  const exhausted = await (await cairn.resume(handle.id, { maxAttempts: 2 })).result();
  assert.equal(exhausted.status, "failed");
  assert.equal(state.calls.transform, 2, "no budget left: not executed");
  const step = (await cairn.get(handle.id))!.steps.find((s) => s.stepId === "transform")!;
  assert.match(step.error!.message, /Retry budget exhausted/);

  state.broken = false;
  const reset = await (await cairn.resume(handle.id, { maxAttempts: 2, resetAttempts: true })).result();
  assert.equal(reset.status, "succeeded");
  assert.equal(state.calls.transform, 3);
  assert.equal(state.calls.fetch, 1);
});

test("a changed definition: onChange error refuses naming the steps, rerun re-executes them and their downstream, keep keeps them", async () => {
  const { cairn } = await openTemp();
  const calls: string[] = [];
  const v1 = workflow("etl")
    .step("extract", async () => (calls.push("extract"), 1))
    .step("enrich", async ({ needs }) => (calls.push("enrich"), needs.extract + 1))
    .step("publish", async ({ needs }) => {
      calls.push("publish");
      throw new Error(`cannot publish ${needs.enrich}`);
    });
  const handle = await cairn.start(v1, {});
  await handle.result();

  // The developer edits `enrich` and fixes `publish`.
  const v2 = workflow("etl")
    .step("extract", async () => (calls.push("extract"), 1))
    .step("enrich", async ({ needs }) => (calls.push("enrich2"), needs.extract + 100))
    .step("publish", async ({ needs }) => (calls.push("publish2"), needs.enrich));
  await cairn.register(v2);
  await rejects(
    cairn.resume(handle.id),
    "UNPROCESSABLE",
    /definition changed since the run started for "enrich"/,
  );
  const plan = await cairn.resumePlan(handle.id, { onChange: "rerun" });
  assert.deepEqual(plan.changed, ["enrich"]);
  assert.deepEqual(
    plan.steps.map((s) => `${s.stepId}:${s.action}`),
    ["extract:keep", "enrich:rerun", "publish:retry"],
  );

  const kept = await (await cairn.resume(handle.id, { onChange: "keep" })).result();
  assert.equal(kept.output, 2, "onChange keep kept the old enrich output");
  assert.deepEqual(calls, ["extract", "enrich", "publish", "publish2"]);
});

test("onChange rerun executes the changed step and everything downstream again", async () => {
  const { cairn } = await openTemp();
  const calls: string[] = [];
  const make = (enrich: (n: number) => number, publishFails: boolean) =>
    workflow("etl2")
      .step("extract", async () => (calls.push("extract"), 1))
      .step("enrich", async ({ needs }) => (calls.push("enrich"), enrich(needs.extract)))
      .step("report", async ({ needs }) => (calls.push("report"), needs.enrich))
      .step("publish", { needs: ["report"] }, async ({ needs }) => {
        calls.push("publish");
        if (publishFails) throw new Error("later");
        return needs.report;
      });
  const handle = await cairn.start(
    make((n) => n + 10, true),
    {},
  );
  await handle.result();
  // Same handler text, new closure: the fingerprint cannot see it, so the step declares a version.
  const v2 = workflow("etl2")
    .step("extract", async () => (calls.push("extract"), 1))
    .step("enrich", { version: 2 }, async ({ needs }) => (calls.push("enrich"), needs.extract + 20))
    .step("report", async ({ needs }) => (calls.push("report"), needs.enrich))
    .step("publish", { needs: ["report"] }, async ({ needs }) => (calls.push("publish"), needs.report));
  await cairn.register(v2);
  const run = await (await cairn.resume(handle.id, { onChange: "rerun" })).result();
  assert.equal(run.status, "succeeded");
  assert.equal(run.output, 21);
  assert.deepEqual(calls, ["extract", "enrich", "report", "publish", "enrich", "report", "publish"]);
  const steps = new Map((await cairn.get(handle.id))!.steps.map((s) => [s.stepId, s.provenance]));
  assert.deepEqual(steps.get("enrich"), { kind: "executed", reason: "definition-changed" });
  assert.deepEqual(steps.get("report"), { kind: "executed", reason: "downstream" });
  assert.deepEqual(steps.get("publish"), { kind: "executed", reason: "failed" });
  assert.equal(steps.get("extract"), null);
});

test("a recorded step that no longer exists in the definition refuses the resume", async () => {
  const { cairn } = await openTemp();
  const v1 = workflow("shrink")
    .step("a", async () => 1)
    .step("gone", async () => 2)
    .step("c", async () => {
      throw new Error("x");
    });
  const handle = await cairn.start(v1, {});
  await handle.result();
  await cairn.register(
    workflow("shrink")
      .step("a", async () => 1)
      .step("c", async () => 3),
  );
  await rejects(
    cairn.resume(handle.id, { onChange: "rerun" }),
    "UNPROCESSABLE",
    /Unknown step in checkpoint: "gone"/,
  );
});

test("mark a failed step done by hand: the run continues with the supplied output, history and provenance record it", async () => {
  const { cairn } = await openTemp();
  const state = { broken: true, calls: {} as Record<string, number> };
  const handle = await cairn.start(chain(state), {});
  await handle.result();
  const run = await (
    await cairn.resume(handle.id, { markDone: { stepId: "transform", output: 42 }, actor: "ops@example" })
  ).result();
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, { loaded: 42, file: "rows" });
  assert.equal(state.calls.transform, 1, "the step was not executed again");
  const step = (await cairn.get(handle.id))!.steps.find((s) => s.stepId === "transform")!;
  assert.equal(step.provenance?.kind, "manual");
  assert.equal(step.provenance?.by, "ops@example");
  const history = await cairn.history(handle.id);
  assert.equal(history[1]!.actor, "ops@example");
  assert.deepEqual((history[1]!.strategy as { markDone: string }).markDone, "transform");
  assert.ok(
    (await cairn.events(handle.id)).some((e) => e.type === "step.marked-done" && e.stepId === "transform"),
  );
  await rejects(
    cairn.resume(handle.id, { markDone: { stepId: "nope", output: 1 } }),
    "CONFLICT",
    /already succeeded/,
  );
});

test("concurrent resume calls in one process: exactly one proceeds", async () => {
  const { cairn } = await openTemp();
  const state = { broken: true, calls: {} as Record<string, number> };
  const handle = await cairn.start(chain(state), {});
  await handle.result();
  state.broken = false;
  const results = await Promise.allSettled(Array.from({ length: 10 }, () => cairn.resume(handle.id)));
  const ok = results.filter((r) => r.status === "fulfilled");
  assert.equal(ok.length, 1);
  for (const r of results)
    if (r.status === "rejected") assert.equal((r.reason as CairnError).code, "CONFLICT", String(r.reason));
  assert.equal((await cairn.wait(handle.id)).status, "succeeded");
  assert.equal(state.calls.transform, 2);
});

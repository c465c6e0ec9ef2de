import assert from "node:assert/strict";
import { test } from "node:test";
import { CairnError, workflow } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";

/** a → b → c → d; `a` returns `value`; d fails while `state.broken`. */
function chain(value: number, state: { broken: boolean; calls: string[] }) {
  const a = value === 5 ? async () => (state.calls.push("a"), 5) : async () => (state.calls.push("a"), 55);
  return workflow("chain")
    .step("a", a)
    .step("b", async ({ needs }) => (state.calls.push("b"), needs.a + 1))
    .step("c", async ({ needs }) => (state.calls.push("c"), needs.b + 1))
    .step("d", async ({ needs }) => {
      state.calls.push("d");
      if (state.broken) throw new Error("d is broken");
      return needs.c;
    });
}

const rows = (plan: { steps: Array<{ stepId: string; action: string; why: string }> }) =>
  plan.steps.map((s) => [s.stepId, s.action, s.why]);

test("resume's plan: only the step whose own definition changed says so; the others are downstream of it", async () => {
  const { cairn } = await openTemp();
  const state = { broken: true, calls: [] as string[] };
  const run = await (await cairn.start(chain(5, state), {})).result();
  await cairn.register(chain(55, state));

  const rerun = await cairn.resumePlan(run.id, { onChange: "rerun" });
  assert.deepEqual(rerun.changed, ["a"]);
  assert.deepEqual(rows(rerun), [
    ["a", "rerun", "its definition changed since it ran"],
    ["b", "rerun", 'downstream of changed "a"'],
    ["c", "rerun", 'downstream of changed "a"'],
    ["d", "retry", 'failed: d is broken (downstream of changed "a")'],
  ]);
  const keep = await cairn.resumePlan(run.id, { onChange: "keep" });
  assert.deepEqual(rows(keep).slice(0, 2), [
    ["a", "keep", "its definition changed; output kept (onChange: keep)"],
    ["b", "keep", 'downstream of changed "a"; output kept (onChange: keep)'],
  ]);
  assert.deepEqual(
    keep.steps.map((s) => s.fromRunId),
    [run.id, run.id, run.id, null],
  );
});

test("rerun after `return 5` became `return 55`: refused naming the step, planned without a run, then executed with onChange", async () => {
  const { cairn } = await openTemp();
  const state = { broken: true, calls: [] as string[] };
  const source = await (await cairn.start(chain(5, state), {})).result();
  assert.equal(source.status, "failed");
  await cairn.register(chain(55, state));
  state.broken = false;
  state.calls.length = 0;

  const error = await cairn.rerun(source.id, { failed: true }).catch((e: unknown) => e);
  assert.ok(error instanceof CairnError && error.code === "UNPROCESSABLE");
  assert.match(error.message, /The definition changed since run ".*" ran for "a"/);
  assert.deepEqual(state.calls, [], "nothing ran");
  assert.equal((await cairn.list()).length, 1, "no run was created");

  const plan = await cairn.rerunPlan(source.id, { failed: true });
  assert.equal(plan.refusal, error.message, "the plan carries the same refusal");
  assert.deepEqual(rows(plan)[0], ["a", "keep", `succeeded; output reused from run ${source.id}`]);
  assert.equal((await cairn.list()).length, 1, "a plan creates no run");

  const handle = await cairn.rerun(source.id, { failed: true }, { onChange: "rerun" });
  assert.deepEqual(rows(handle.plan), [
    ["a", "rerun", "its definition changed since it ran"],
    ["b", "rerun", 'downstream of changed "a"'],
    ["c", "rerun", 'downstream of changed "a"'],
    ["d", "rerun", 'failed: d is broken; selected to run again (downstream of changed "a")'],
  ]);
  const rerun = await handle.result();
  assert.equal(rerun.output, 57, "d computed with the changed step's 55");
  const provenance = new Map((await cairn.get(rerun.id))!.steps.map((s) => [s.stepId, s.provenance]));
  assert.deepEqual(provenance.get("a"), { kind: "executed", reason: "definition-changed" });
  assert.deepEqual(provenance.get("b"), { kind: "executed", reason: "downstream" });

  state.calls.length = 0;
  const kept = await (await cairn.rerun(source.id, { failed: true }, { onChange: "keep" })).result();
  assert.equal(kept.output, 7, "keep reuses the recorded 5");
  assert.deepEqual(state.calls, ["d"]);
});

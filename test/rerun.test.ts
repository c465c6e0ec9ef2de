import assert from "node:assert/strict";
import { test } from "node:test";
import { storeOf } from "../src/engine/client-state.js";
import { CairnError, workflow } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";

/** A node graph: a → (b1, b2) → c → d. Branches fail while their flag is set. Counts executions. */
function graph(state: { fail: Set<string>; calls: string[] }) {
  const body =
    (id: string, value: (needs: Record<string, number>) => number) =>
    async ({
      needs,
      vars,
    }: {
      needs: Record<string, number>;
      vars: { set(n: string, v: number): void; get(n: string): unknown };
    }) => {
      state.calls.push(id);
      if (state.fail.has(id)) throw new Error(`${id} failed: bad weather`);
      if (id === "a") vars.set("seed", 7);
      return value(needs) + (id === "c" ? Number(vars.get("seed")) : 0);
    };
  return workflow("nodes")
    .step("a", body("a", () => 1) as never)
    .step("b1", { needs: ["a"] }, body("b1", (n) => (n.a ?? 0) + 10) as never)
    .step("b2", { needs: ["a"] }, body("b2", (n) => (n.a ?? 0) + 20) as never)
    .step("c", { needs: ["b1", "b2"] }, body("c", (n) => (n.b1 ?? 0) + (n.b2 ?? 0)) as never)
    .step("d", { needs: ["c"] }, body("d", (n) => (n.c ?? 0) * 2) as never);
}

test("restart creates a new run from scratch with the same input and lineage; the old run is untouched", async () => {
  const { cairn } = await openTemp();
  const state = { fail: new Set(["b2"]), calls: [] as string[] };
  const first = await (await cairn.start(graph(state), { city: "Oslo" })).result();
  assert.equal(first.status, "failed");
  state.fail.clear();
  state.calls.length = 0;
  const handle = await cairn.restart(first.id);
  const run = await handle.result();
  assert.notEqual(run.id, first.id);
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.input, { city: "Oslo" });
  assert.equal(run.origin, "restart");
  assert.equal(run.parentRunId, first.id);
  assert.equal(run.rootRunId, first.id);
  assert.notEqual(run.workdir, first.workdir);
  assert.deepEqual([...state.calls].sort(), ["a", "b1", "b2", "c", "d"], "every step executed");
  assert.equal((await cairn.get(first.id))!.run.status, "failed", "the old run is untouched");
  await assert.rejects(cairn.restart("missing"), /does not exist/);
});

test("rerun of all failed nodes of parallel branches reuses the rest, restores variables and succeeds", async () => {
  const { cairn } = await openTemp();
  const state = { fail: new Set(["b1", "b2"]), calls: [] as string[] };
  const first = await (await cairn.start(graph(state), {})).result();
  assert.equal(first.status, "failed");
  const latest = await cairn.latestFailed("nodes");
  assert.equal(latest!.run.id, first.id);
  assert.deepEqual(
    latest!.failed.map((f) => [f.stepId, f.error]),
    [
      ["b1", "b1 failed: bad weather"],
      ["b2", "b2 failed: bad weather"],
    ],
  );

  state.fail.clear();
  state.calls.length = 0;
  const run = await (await cairn.rerun(first.id, { failed: true })).result();
  assert.equal(run.status, "succeeded");
  assert.equal(run.output, (11 + 21 + 7) * 2, "c read the variable `seed` set by the reused step a");
  assert.deepEqual([...state.calls].sort(), ["b1", "b2", "c", "d"], "a was reused, not executed");
  assert.equal(run.origin, "rerun");
  assert.equal(run.parentRunId, first.id);
  const steps = new Map((await cairn.get(run.id))!.steps.map((s) => [s.stepId, s.provenance]));
  assert.deepEqual(steps.get("a"), { kind: "reused", fromRunId: first.id });
  assert.deepEqual(steps.get("b1"), { kind: "executed", reason: "selected" });
  assert.deepEqual(steps.get("c"), { kind: "executed", reason: "downstream" });
});

test("rerun from an arbitrary node re-executes it and its downstream only; lineage holds over three generations", async () => {
  const { cairn } = await openTemp();
  const state = { fail: new Set<string>(), calls: [] as string[] };
  const gen1 = await (await cairn.start(graph(state), {})).result();
  state.calls.length = 0;
  const gen2 = await (await cairn.rerun(gen1.id, { from: ["b2"] })).result();
  assert.deepEqual([...state.calls].sort(), ["b2", "c", "d"]);
  state.calls.length = 0;
  const gen3 = await (await cairn.rerun(gen2.id, { from: ["d"] })).result();
  assert.deepEqual(state.calls, ["d"]);
  assert.equal(gen3.status, "succeeded");
  assert.equal(gen3.output, gen1.output);
  assert.equal(gen3.parentRunId, gen2.id);
  assert.equal(gen3.rootRunId, gen1.id);
  const steps = new Map((await cairn.get(gen3.id))!.steps.map((s) => [s.stepId, s.provenance]));
  assert.deepEqual(
    steps.get("a"),
    { kind: "reused", fromRunId: gen1.id },
    "a was produced by the first generation",
  );
  assert.deepEqual(steps.get("b2"), { kind: "reused", fromRunId: gen2.id }, "b2 was produced by the second");
  assert.deepEqual(steps.get("d"), { kind: "executed", reason: "selected" });
  const children = await storeOf(cairn).listChildRuns(gen1.id);
  assert.deepEqual(
    children.map((r) => r.id),
    [gen2.id],
  );
});

test("rerun refuses unknown step ids (naming them), a run without failures, and missing upstream outputs", async () => {
  const { cairn } = await openTemp();
  const state = { fail: new Set(["b1"]), calls: [] as string[] };
  const failed = await (await cairn.start(graph(state), {})).result();
  await assert.rejects(cairn.rerun(failed.id, { from: ["zz", "b1", "yy"] }), (e: unknown) => {
    assert.ok(e instanceof CairnError);
    assert.equal(e.code, "INVALID_INPUT");
    assert.match(e.message, /Unknown steps "zz", "yy"/);
    return true;
  });
  // d needs c, which never ran in the failed run: reusing c is impossible.
  await assert.rejects(cairn.rerun(failed.id, { from: ["d"] }), (e: unknown) => {
    assert.ok(e instanceof CairnError);
    assert.equal(e.code, "UNPROCESSABLE");
    assert.match(e.message, /"b1", "c" would be reused but have no recorded output .* restart the run/);
    return true;
  });
  state.fail.clear();
  const ok = await (await cairn.start(graph(state), {})).result();
  await assert.rejects(cairn.rerun(ok.id, { failed: true }), /has no failed steps to rerun/);
  assert.equal((await cairn.list({})).length, 2, "refused reruns created no run");
});

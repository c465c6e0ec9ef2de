import assert from "node:assert/strict";
import { test } from "node:test";
import { workflow } from "../../src/index.js";
import { PlanSchema } from "../../src/server/schemas.js";
import { startServer, type TestServer } from "./helpers.js";

const broken = new Set(["b", "b1", "b2"]);
const fail = (id: string) => {
  if (broken.has(id)) throw new Error(`${id} is broken`);
};

/** a → join ← b, where b fails while broken; the second version of `a` returns 55 instead of 5. */
const joinV1 = workflow("join")
  .step("a", async () => 5)
  .step("b", { needs: [] }, async () => {
    fail("b");
    return 7;
  })
  .step("join", { needs: ["a", "b"] }, async ({ needs }) => needs);
const joinV2 = workflow("join")
  .step("a", async () => 55)
  .step("b", { needs: [] }, async () => {
    fail("b");
    return 7;
  })
  .step("join", { needs: ["a", "b"] }, async ({ needs }) => needs);

/** Two parallel branches that both fail: a → (b1, b2) → c. */
const branches = workflow("branches")
  .step("a", async () => 1)
  .step("b1", { needs: ["a"] }, async () => fail("b1"))
  .step("b2", { needs: ["a"] }, async () => fail("b2"))
  .step("c", { needs: ["b1", "b2"] }, async () => "done");

const s: TestServer = await startServer({ workflows: [joinV1, branches] });

async function failedRun(workflowId: string): Promise<string> {
  const started = await s.api(`/api/workflows/${workflowId}/runs`, { token: s.tokens.acme, json: {} });
  assert.equal(started.status, 201, started.text);
  assert.equal((await s.waitForStatus(started.body.id, ["failed"])).body.status, "failed");
  return started.body.id;
}

const runCount = async () => (await s.api("/api/runs?limit=100", { token: s.tokens.acme })).body.runs.length;

test("a rerun after a step's definition changed: the plan names it, the rerun is refused (422) until onChange is chosen", async () => {
  const source = await failedRun("join");
  await s.cairn.register(joinV2);
  broken.delete("b");
  const runs = await runCount();

  const plan = await s.api(`/api/runs/${source}/rerun-plan?failed=true`, { token: s.tokens.acme });
  assert.equal(plan.status, 200, plan.text);
  PlanSchema.parse(plan.body);
  assert.deepEqual(plan.body.changed, ["a"]);
  assert.match(plan.body.refusal, /The definition changed since run ".*" ran for "a"/);
  const refused = await s.api(`/api/runs/${source}/rerun`, { token: s.tokens.acme, json: { failed: true } });
  assert.equal(refused.status, 422, refused.text);
  assert.match(refused.body.error.message, /for "a"\. Choose onChange "rerun"/);
  assert.equal(await runCount(), runs, "neither the plan nor the refusal created a run");

  const rerunPlan = await s.api(`/api/runs/${source}/rerun-plan?failed=true&onChange=rerun`, {
    token: s.tokens.acme,
  });
  assert.deepEqual(
    rerunPlan.body.steps.map((p: { stepId: string; action: string; why: string }) => [
      p.stepId,
      p.action,
      p.why,
    ]),
    [
      ["a", "rerun", "its definition changed since it ran"],
      ["b", "rerun", "failed: b is broken; selected to run again"],
      ["join", "run", 'downstream of changed "a"'],
    ],
  );
  const created = await s.api(`/api/runs/${source}/rerun`, {
    token: s.tokens.acme,
    json: { failed: true, onChange: "rerun" },
  });
  assert.equal(created.status, 201, created.text);
  const done = await s.waitForStatus(created.body.id, ["succeeded", "failed"]);
  assert.deepEqual(done.body.output, { a: 55, b: 7 }, "the join computed with the changed step's output");
});

test("two failed parallel branches: the plan refuses a rerun from one of them and allows both together", async () => {
  broken.add("b1");
  broken.add("b2");
  const source = await failedRun("branches");
  broken.clear();

  const one = await s.api(`/api/runs/${source}/rerun-plan?from=b1`, { token: s.tokens.acme });
  assert.equal(one.status, 200, one.text);
  assert.equal(
    one.body.refusal,
    `Cannot rerun from "b1": step "b2" would be reused but has no recorded output in run "${source}" or its lineage. Rerun from it too, or restart the run.`,
  );
  assert.deepEqual(
    one.body.steps.map((p: { stepId: string; action: string; fromRunId: string | null }) => [
      p.stepId,
      p.action,
      p.fromRunId,
    ]),
    [
      ["a", "keep", source],
      ["b1", "rerun", null],
      ["b2", "blocked", null],
      ["c", "blocked", null],
    ],
  );
  const refused = await s.api(`/api/runs/${source}/rerun`, { token: s.tokens.acme, json: { from: ["b1"] } });
  assert.equal(refused.status, 422, refused.text);

  const both = await s.api(`/api/runs/${source}/rerun-plan?from=b1,b2`, { token: s.tokens.acme });
  assert.equal(both.body.refusal, null);
  assert.equal(both.body.steps[0].why, `succeeded; output reused from run ${source}`);
  assert.equal(both.body.steps[3].why, 'downstream of selected "b1"');
  const created = await s.api(`/api/runs/${source}/rerun`, {
    token: s.tokens.acme,
    json: { from: ["b1", "b2"] },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal((await s.waitForStatus(created.body.id, ["succeeded", "failed"])).body.status, "succeeded");
});

test("the rerun plan's bad requests: no selection, both, an unknown step, an unknown parameter, another tenant's run", async () => {
  broken.add("b1");
  const source = await failedRun("branches");
  const ask = (query: string, token = s.tokens.acme) =>
    s.api(`/api/runs/${source}/rerun-plan${query}`, { token });
  const none = await ask("");
  assert.equal(none.status, 400);
  assert.equal(none.body.error.message, "Pass exactly one of failed=true or from=STEP[,STEP…].");
  assert.equal((await ask("?failed=true&from=b1")).status, 400);
  const unknown = await ask("?from=nope");
  assert.equal(unknown.status, 422, "as the rerun request answers");
  assert.match(unknown.body.error.message, /Unknown step "nope" in workflow "branches"/);
  assert.equal((await ask("?failed=true&retryFailed=false")).status, 400);
  assert.equal((await ask("?failed=true", s.tokens.globex)).status, 404);
});

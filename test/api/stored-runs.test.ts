// Runs of workflows stored as data over real HTTP: POST /api/workflows/{id}/runs starts the tenant's
// newest stored version or a named one, every run view carries its workflowVersion, restart and rerun
// take a `version`, and another tenant's stored workflow is a 404 like one that does not exist.
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { defineAction } from "../../src/index.js";
import { assertErrorShape, startServer } from "./helpers.js";

const greet = defineAction({
  name: "greet",
  version: 1,
  params: z.strictObject({ name: z.string() }),
  handler: ({ name }) => `Hello, ${name}!`,
});

const s = await startServer({ workflows: [], cairn: { actions: [greet] } });

const V1 = `id: etl
steps:
  - id: hello
    uses: greet
    with: { name: "\${{ input.name }}" }
  - id: other
    uses: greet
    with: { name: other }
`;
const V2 = V1.replace("name: other", "name: changed");

async function store(text: string, token = s.tokens.acme): Promise<string> {
  const res = await s.api("/api/workflows/etl", {
    token,
    method: "PUT",
    raw: text,
    headers: { "content-type": "application/yaml" },
  });
  assert.ok(res.status === 201 || res.status === 200, res.text);
  return res.body.version as string;
}

function start(body: Record<string, unknown>, token = s.tokens.acme) {
  return s.api("/api/workflows/etl/runs", { token, method: "POST", json: body });
}

test("a stored workflow starts by id (newest or named version); its runs show the version; restart and rerun name one", async () => {
  const v1 = await store(V1);
  const first = await start({ input: { name: "Ada" } });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.workflowVersion, v1);
  const done = await s.waitForStatus(first.body.id, ["succeeded"]);
  assert.equal(done.body.workflowVersion, v1);
  assert.equal(done.body.steps.find((st: { id: string }) => st.id === "hello").output, "Hello, Ada!");

  const v2 = await store(V2);
  assert.equal((await start({ input: { name: "B" } })).body.workflowVersion, v2);
  assert.equal((await start({ input: { name: "B" }, version: "latest" })).body.workflowVersion, v2);
  const named = await start({ input: { name: "C" }, version: v1 });
  assert.equal(named.status, 201, named.text);
  assert.equal(named.body.workflowVersion, v1);

  const restarted = await s.api(`/api/runs/${first.body.id}/restart`, {
    token: s.tokens.acme,
    method: "POST",
  });
  assert.equal(restarted.status, 201, restarted.text);
  assert.equal(restarted.body.workflowVersion, v2, "restart takes the newest version");
  const pinned = await s.api(`/api/runs/${first.body.id}/restart`, {
    token: s.tokens.acme,
    method: "POST",
    json: { version: v1 },
  });
  assert.equal(pinned.body.workflowVersion, v1);

  // v2 changed "other": the rerun plan says so; on v1 nothing changed.
  const plan = await s.api(`/api/runs/${first.body.id}/rerun-plan?from=hello`, { token: s.tokens.acme });
  assert.equal(plan.status, 200, plan.text);
  assert.deepEqual(plan.body.changed, ["other"]);
  const planV1 = await s.api(`/api/runs/${first.body.id}/rerun-plan?from=hello&version=${v1}`, {
    token: s.tokens.acme,
  });
  assert.deepEqual(planV1.body.changed, []);
  const rerun = await s.api(`/api/runs/${first.body.id}/rerun`, {
    token: s.tokens.acme,
    method: "POST",
    json: { from: ["hello"], onChange: "rerun" },
  });
  assert.equal(rerun.status, 201, rerun.text);
  assert.equal(rerun.body.workflowVersion, v2);
  const reran = await s.waitForStatus(rerun.body.id, ["succeeded"]);
  assert.equal(reran.body.steps.find((st: { id: string }) => st.id === "other").output, "Hello, changed!");
});

test("another tenant cannot start it (404); an unknown version is a 404 that says so", async () => {
  await store(V1);
  const theirs = await start({ input: { name: "x" } }, s.tokens.globex);
  assertErrorShape(theirs, 404, "NOT_FOUND");
  assert.equal(theirs.body.error.message, 'Workflow "etl" is not registered.');
  const theirsLatest = await start({ input: { name: "x" }, version: "latest" }, s.tokens.globex);
  assertErrorShape(theirsLatest, 404, "NOT_FOUND");
  assert.equal(theirsLatest.body.error.message, 'Workflow "etl" has no stored versions.');
  const unknown = await start({ input: { name: "x" }, version: "0000000000000000" });
  assertErrorShape(unknown, 404, "NOT_FOUND");
  assert.equal(
    unknown.body.error.message,
    'Workflow "etl" has no stored version "0000000000000000" (cairn workflows versions etl lists them).',
  );
  const runs = await s.api("/api/runs", { token: s.tokens.globex });
  assert.deepEqual(runs.body.runs, [], "globex started nothing");
});

// Workflows stored as data on the workflows endpoints over real HTTP: GET /api/workflows lists the
// caller's tenant's stored workflows next to the registered ones (newest version, number of versions),
// GET /api/workflows/{id} draws the newest version, and a rerun plan names the versions it compares.
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { Cairn, defineAction, workflow } from "../../src/index.js";
import { assertErrorShape, startServer } from "./helpers.js";

const greet = defineAction({
  name: "greet",
  version: 1,
  params: z.strictObject({ name: z.string() }),
  handler: ({ name }) => `Hello, ${name}!`,
});

const registered = workflow("registered").step("only", () => 1);
const s = await startServer({ workflows: [registered], cairn: { actions: [greet] } });

const V1 = `id: etl
steps:
  - id: hello
    uses: greet
    with: { name: Ada }
  - id: other
    uses: greet
    with: { name: other }
    needs: [hello]
`;
const V2 = V1.replace("name: other", "name: changed");

async function store(text: string, id = "etl"): Promise<string> {
  const res = await s.api(`/api/workflows/${id}`, {
    token: s.tokens.acme,
    method: "PUT",
    raw: text.replace("id: etl", `id: ${id}`),
    headers: { "content-type": "application/yaml" },
  });
  assert.ok(res.status === 201 || res.status === 200, res.text);
  return res.body.version as string;
}

test("the list and the graph show the tenant's stored workflow by its newest version; other tenants see none", async () => {
  await store(V1);
  const v2 = await store(V2);
  const list = await s.api("/api/workflows", { token: s.tokens.acme });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(
    list.body.workflows.map((w: { id: string; stepCount: number; stored: unknown }) => [
      w.id,
      w.stepCount,
      w.stored,
    ]),
    [
      ["etl", 2, { version: v2, versionCount: 2 }],
      ["registered", 1, null],
    ],
  );
  const graph = await s.api("/api/workflows/etl", { token: s.tokens.acme });
  assert.equal(graph.status, 200, graph.text);
  assert.deepEqual(graph.body.stored, { version: v2, versionCount: 2 });
  assert.deepEqual(
    graph.body.steps.map((st: { id: string; needs: string[] }) => [st.id, st.needs]),
    [
      ["hello", []],
      ["other", ["hello"]],
    ],
  );
  const latest = await s.api("/api/workflows/etl/latest-failed", { token: s.tokens.acme });
  assertErrorShape(latest, 404, "NOT_FOUND");
  assert.equal(latest.body.error.message, 'Workflow "etl" has no failed run left to fix.');

  const theirs = await s.api("/api/workflows", { token: s.tokens.globex });
  assert.deepEqual(
    theirs.body.workflows.map((w: { id: string }) => w.id),
    ["registered"],
  );
  assertErrorShape(await s.api("/api/workflows/etl", { token: s.tokens.globex }), 404, "NOT_FOUND");
});

test("a rerun plan of a stored run names the version the run executed and the one the rerun would", async () => {
  const v1 = await store(V1, "etl2");
  const started = await s.api("/api/workflows/etl2/runs", { token: s.tokens.acme, method: "POST", json: {} });
  assert.equal(started.status, 201, started.text);
  await s.waitForStatus(started.body.id, ["succeeded"]);
  const v2 = await store(V2, "etl2");
  const plan = await s.api(`/api/runs/${started.body.id}/rerun-plan?from=hello&onChange=rerun`, {
    token: s.tokens.acme,
  });
  assert.equal(plan.status, 200, plan.text);
  assert.deepEqual(plan.body.versions, { from: v1, to: v2 });
  const own = await s.api(`/api/runs/${started.body.id}/rerun-plan?from=hello&version=${v1}`, {
    token: s.tokens.acme,
  });
  assert.deepEqual(own.body.versions, { from: v1, to: v1 });
  assert.deepEqual(own.body.changed, []);

  const file = await s.api("/api/workflows/registered/runs", {
    token: s.tokens.acme,
    method: "POST",
    json: {},
  });
  await s.waitForStatus(file.body.id, ["succeeded"]);
  const filePlan = await s.api(`/api/runs/${file.body.id}/rerun-plan?from=only`, { token: s.tokens.acme });
  assert.deepEqual(filePlan.body.versions, { from: null, to: null });
});

test("a stored workflow whose action this server lacks is left out of the list, not an error for the whole list", async () => {
  const farewell = defineAction({
    name: "farewell",
    version: 1,
    params: z.strictObject({ name: z.string() }),
    handler: ({ name }) => `Bye, ${name}!`,
  });
  // Another process, with an action this server never registered, stores a workflow for the tenant.
  const other = await Cairn.open({ db: s.db, actions: [farewell], execute: false, recover: false });
  try {
    await other.storeWorkflow(
      "elsewhere",
      "id: elsewhere\nsteps:\n  - id: bye\n    uses: farewell\n    with: { name: Ada }\n",
      { format: "yaml", tenant: "acme" },
    );
  } finally {
    await other.close();
  }
  await store(V1);
  const list = await s.api("/api/workflows", { token: s.tokens.acme });
  assert.equal(list.status, 200, list.text);
  const ids = list.body.workflows.map((w: { id: string }) => w.id);
  assert.ok(ids.includes("etl") && ids.includes("registered"), ids.join(", "));
  assert.ok(!ids.includes("elsewhere"), ids.join(", "));
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { storeOf } from "../../src/engine/client-state.js";
import { assertErrorShape, startServer, storeState } from "./helpers.js";
import { SseClient } from "./sse-client.js";
import { controls, flaky, quick } from "./workflows.js";

const s = await startServer({ workflows: [flaky, quick], app: { ssePollMs: 50 } });

// acme owns one failed run (every action is possible on it) and one succeeded run.
controls.failParse = true;
const acmeFailed = (
  await s.api("/api/workflows/flaky/runs", { token: s.tokens.acme, json: { runId: "acme-failed" } })
).body.id as string;
await s.waitForStatus(acmeFailed, ["failed"]);
const acmeDone = (
  await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: { runId: "acme-done" } })
).body.id as string;
await s.waitForStatus(acmeDone, ["succeeded"]);

/** Every endpoint that takes a run id, with a request that would succeed for the owner. */
const RUN_ENDPOINTS: Array<{ path: string; method: string; json?: unknown }> = [
  { method: "GET", path: "/api/runs/ID" },
  { method: "GET", path: "/api/runs/ID/steps/parse" },
  { method: "GET", path: "/api/runs/ID/history" },
  { method: "GET", path: "/api/runs/ID/resume-plan" },
  { method: "GET", path: "/api/runs/ID/events" },
  { method: "POST", path: "/api/runs/ID/resume", json: {} },
  { method: "POST", path: "/api/runs/ID/restart", json: {} },
  { method: "POST", path: "/api/runs/ID/rerun", json: { failed: true } },
  { method: "POST", path: "/api/runs/ID/cancel" },
  { method: "POST", path: "/api/runs/ID/pause" },
  { method: "POST", path: "/api/runs/ID/signals/approve", json: { data: { approved: true } } },
];

test("another tenant's run answers 404 on every endpoint, with exactly the body of an id that does not exist", async () => {
  const before = await storeState(s.cairn);
  for (const endpoint of RUN_ENDPOINTS) {
    const theirs = await s.api(endpoint.path.replace("ID", acmeFailed), {
      token: s.tokens.globex,
      method: endpoint.method,
      json: endpoint.json,
    });
    const missing = await s.api(endpoint.path.replace("ID", "acme-nothing"), {
      token: s.tokens.globex,
      method: endpoint.method,
      json: endpoint.json,
    });
    assertErrorShape(theirs, 404, "NOT_FOUND");
    assertErrorShape(missing, 404, "NOT_FOUND");
    assert.equal(
      theirs.text.replaceAll(acmeFailed, "X"),
      missing.text.replaceAll("acme-nothing", "X"),
      `${endpoint.method} ${endpoint.path}`,
    );
  }
  assert.equal(await storeState(s.cairn), before, "globex changed nothing of acme's");
  // The same requests work for the owner (so the 404s above are about the tenant, not the request).
  assert.equal((await s.api(`/api/runs/${acmeFailed}`, { token: s.tokens.acme })).status, 200);
  assert.equal((await s.api(`/api/runs/${acmeFailed}/resume-plan`, { token: s.tokens.acme })).status, 200);
});

test("listings and latest-failed never show another tenant's runs", async () => {
  const globexRun = (await s.api("/api/workflows/quick/runs", { token: s.tokens.globex, json: {} })).body;
  assert.equal(globexRun.tenant, "globex");
  await s.waitForStatus(globexRun.id, ["succeeded"], s.tokens.globex);

  const theirs = await s.api("/api/runs?limit=500", { token: s.tokens.globex });
  assert.deepEqual(
    theirs.body.runs.map((r: { id: string }) => r.id),
    [globexRun.id],
  );
  for (const query of ["workflow=flaky", "status=failed", "workflow=quick&status=succeeded"]) {
    const res = await s.api(`/api/runs?${query}`, { token: s.tokens.globex });
    assert.ok(!res.text.includes("acme-"), `${query}: ${res.text}`);
  }
  const ours = await s.api("/api/runs?limit=500", { token: s.tokens.acme });
  assert.ok(ours.body.runs.every((r: { tenant: string }) => r.tenant === "acme"));
  assert.ok(!ours.text.includes(globexRun.id));

  assertErrorShape(
    await s.api("/api/workflows/flaky/latest-failed", { token: s.tokens.globex }),
    404,
    "NOT_FOUND",
  );
  assert.equal(
    (await s.api("/api/workflows/flaky/latest-failed", { token: s.tokens.acme })).body.run.id,
    acmeFailed,
  );
});

test("GET /api/events never streams another tenant's events", async () => {
  const globex = await SseClient.connect(`${s.url}/api/events`, { token: s.tokens.globex });
  const acme = await SseClient.connect(`${s.url}/api/events`, { token: s.tokens.acme });
  try {
    // New activity of both tenants while both listen; the globex run is the marker that globex is caught up.
    const acmeRun = (await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} })).body
      .id as string;
    await acme.waitForType("run.succeeded", acmeRun);
    const marker = (await s.api("/api/workflows/quick/runs", { token: s.tokens.globex, json: {} })).body
      .id as string;
    await globex.waitForType("run.succeeded", marker);
    assert.ok(globex.messages.length > 0);
    const globexRuns = new Set(globex.messages.map((m) => m.data.runId));
    for (const id of [acmeFailed, acmeDone, acmeRun]) assert.ok(!globexRuns.has(id), `globex saw ${id}`);
    assert.ok(!globex.raw.includes("acme"), "no acme run id anywhere in globex's stream");
    assert.ok(!new Set(acme.messages.map((m) => m.data.runId)).has(marker), "and the other way round");
  } finally {
    globex.close();
    acme.close();
  }
});

test("a read-only token reads its tenant's runs and gets 403 on every action", async () => {
  const before = await storeState(s.cairn);
  const reader = s.tokens.acmeReader;
  assert.equal((await s.api(`/api/runs/${acmeFailed}`, { token: reader })).status, 200);
  assert.equal((await s.api("/api/runs", { token: reader })).status, 200);
  assert.equal((await s.api(`/api/runs/${acmeFailed}/resume-plan`, { token: reader })).status, 200);
  const actions = [
    { path: "/api/workflows/quick/runs", json: {} },
    ...RUN_ENDPOINTS.filter((e) => e.method === "POST").map((e) => ({
      path: e.path.replace("ID", acmeFailed),
      json: e.json,
    })),
    ...RUN_ENDPOINTS.filter((e) => e.method === "POST").map((e) => ({
      path: e.path.replace("ID", acmeDone),
      json: e.json,
    })),
  ];
  for (const action of actions) {
    const res = await s.api(action.path, { token: reader, method: "POST", json: action.json });
    assertErrorShape(res, 403, "FORBIDDEN");
  }
  assert.equal(await storeState(s.cairn), before, "nothing was started, resumed, cancelled or paused");
});

test("a runId taken by another tenant is refused (409) without revealing that run", async () => {
  const res = await s.api("/api/workflows/quick/runs", { token: s.tokens.globex, json: { runId: acmeDone } });
  assertErrorShape(res, 409, "CONFLICT");
  assert.deepEqual(res.body.error.details, { runId: acmeDone });
  assert.ok(!res.text.includes('acme"'), res.text);
  assert.ok(!res.text.includes("succeeded"), "the other tenant's run state is not revealed");
  assert.equal((await storeOf(s.cairn).getRun(acmeDone))!.tenant, "acme");
});

// What generic HTTP clients (generated ones, other languages) rely on.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startServer } from "./helpers.js";
import { SseClient } from "./sse-client.js";
import { controls, gated, quick, resetGate } from "./workflows.js";

const s = await startServer({ workflows: [quick, gated], app: { ssePollMs: 50 } });

test("every operation has a unique operationId named for what it does; the document needs no token", async () => {
  const res = await s.api("/api/openapi.json");
  assert.equal(res.status, 200);
  const ids = new Map<string, string>();
  for (const [path, item] of Object.entries(res.body.paths as Record<string, Record<string, unknown>>))
    for (const [method, op] of Object.entries(item))
      ids.set(`${method.toUpperCase()} ${path}`, (op as { operationId: string }).operationId);
  assert.equal(new Set(ids.values()).size, ids.size, "unique");
  assert.equal(ids.get("POST /api/runs/{id}/resume"), "resumeRun");
  assert.equal(ids.get("POST /api/workflows/{id}/runs"), "startRun");
  assert.equal(ids.get("GET /api/runs/{id}/events"), "streamRunEvents");
  assert.equal(ids.get("GET /api/workflows/{id}/latest-failed"), "getLatestFailedRun");
  // An invalid token is still refused: "no token needed" does not mean "any token accepted".
  assert.equal((await s.api("/api/openapi.json", { token: "cairn_bogus" })).status, 401);
});

test("201 carries Location, the run's own URL", async () => {
  const res = await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("location"), `/api/runs/${res.body.id}`);
  assert.equal((await s.api(res.headers.get("location")!, { token: s.tokens.acme })).body.id, res.body.id);
  const again = await s.api("/api/workflows/quick/runs", {
    token: s.tokens.acme,
    json: { runId: res.body.id },
  });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("location"), null, "an existing run: no Location");
});

test("401 carries WWW-Authenticate: Bearer", async () => {
  for (const token of [undefined, "cairn_not-a-token"]) {
    const res = await s.api("/api/runs", token === undefined ? {} : { token });
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm="cairn"/);
  }
  assert.equal((await s.api("/api/runs", { token: s.tokens.acme })).headers.get("www-authenticate"), null);
});

test("a wrong method on a known path is 405 with Allow; an unknown path stays 404", async () => {
  const put = await s.api("/api/runs/some-run", { token: s.tokens.acme, method: "PUT" });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get("allow"), "DELETE, GET");
  assert.equal(put.body.error.code, "METHOD_NOT_ALLOWED");
  assert.match(put.body.error.message, /^PUT is not allowed on \/api\/runs\/some-run; use DELETE, GET\.$/);
  const get = await s.api("/api/runs/some-run/resume", { token: s.tokens.acme });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST");
  assert.equal((await fetch(`${s.url}/metrics`, { method: "PUT" })).status, 405);
  assert.equal((await s.api("/api/nothing-here", { token: s.tokens.acme, method: "DELETE" })).status, 404);
});

test("an empty body with Content-Type: application/json is no body: accepted where none is needed", async () => {
  const empty = { "content-type": "application/json" };
  const run = (await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} })).body.id;
  await s.waitForStatus(run, ["succeeded"]);
  const restart = await s.api(`/api/runs/${run}/restart`, { token: s.tokens.acme, raw: "", headers: empty });
  assert.equal(restart.status, 201, restart.text);
  const cancel = await s.api(`/api/runs/${restart.body.id}/cancel`, {
    token: s.tokens.acme,
    raw: "",
    headers: empty,
  });
  assert.ok([200, 409].includes(cancel.status), cancel.text);
  // Start's body fields are all optional: an empty JSON body is what no body is, input {}.
  const start = await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, raw: "", headers: empty });
  assert.equal(start.status, 201, start.text);
  assert.deepEqual(start.body.input, {});
  // A malformed non-empty body is still malformed.
  const bad = await s.api(`/api/runs/${run}/restart`, { token: s.tokens.acme, raw: "{", headers: empty });
  assert.equal(bad.status, 400);
});

test("SSE messages carry an event: field with the event's type", async () => {
  resetGate();
  const runId = (await s.api("/api/workflows/gated/runs", { token: s.tokens.acme, json: {} })).body.id;
  const client = await SseClient.connect(`${s.url}/api/runs/${runId}/events`, { token: s.tokens.acme });
  try {
    await client.waitForType("step.started");
    controls.gate.open();
    await client.waitForType("run.succeeded", runId);
    const blocks = client.raw.split("\n\n").filter((b) => b.includes("data:"));
    assert.ok(blocks.length >= 4);
    for (const block of blocks) {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = JSON.parse(/^data: (.+)$/m.exec(block)![1]!);
      assert.equal(event, data.type, block);
    }
  } finally {
    client.close();
  }
});

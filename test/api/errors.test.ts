import assert from "node:assert/strict";
import { test } from "node:test";
import { storeOf } from "../../src/engine/client-state.js";
import { revokeToken } from "../../src/server/tokens.js";
import { assertErrorShape, startServer, storeState } from "./helpers.js";
import { controls, flaky, gated, secretive, typed } from "./workflows.js";

const s = await startServer({ workflows: [flaky, gated, typed, secretive], app: { bodyLimitBytes: 4096 } });

controls.failParse = true;
const failedRun = (
  await s.api("/api/workflows/flaky/runs", { token: s.tokens.acme, json: { runId: "failed-run" } })
).body.id as string;
await s.waitForStatus(failedRun, ["failed"]);

test("malformed JSON, wrong types and unknown fields: 400 naming the field, and the store unchanged", async () => {
  const before = await storeState(s.cairn);
  const token = s.tokens.acme;
  const malformed = await s.api("/api/workflows/flaky/runs", {
    token,
    raw: '{"input": {',
    headers: { "content-type": "application/json" },
    method: "POST",
  });
  assertErrorShape(malformed, 400, "BAD_REQUEST");
  assert.match(malformed.body.error.message, /Malformed JSON/);

  const wrongType = await s.api("/api/workflows/flaky/runs", { token, json: { runId: 42 } });
  assertErrorShape(wrongType, 400, "BAD_REQUEST");
  assert.equal(wrongType.body.error.details.issues[0].path, "runId");

  const resumeType = await s.api(`/api/runs/${failedRun}/resume`, {
    token,
    json: { retryFailed: "yes", maxAttempts: 0 },
  });
  assertErrorShape(resumeType, 400, "BAD_REQUEST");
  assert.deepEqual(resumeType.body.error.details.issues.map((i: { path: string }) => i.path).sort(), [
    "maxAttempts",
    "retryFailed",
  ]);

  for (const body of [
    { from: "parse" },
    {},
    { failed: false },
    { from: [] },
    { from: ["parse"], failed: true },
  ]) {
    const res = await s.api(`/api/runs/${failedRun}/rerun`, { token, json: body });
    assertErrorShape(res, 400, "BAD_REQUEST");
  }

  const unknownStart = await s.api("/api/workflows/flaky/runs", { token, json: { input: {}, inptu: {} } });
  assertErrorShape(unknownStart, 400, "BAD_REQUEST");
  assert.match(unknownStart.body.error.message, /inptu/);
  const unknownResume = await s.api(`/api/runs/${failedRun}/resume`, { token, json: { retryfailed: true } });
  assertErrorShape(unknownResume, 400, "BAD_REQUEST");
  assert.match(unknownResume.body.error.message, /retryfailed/);
  assertErrorShape(
    await s.api(`/api/runs/${failedRun}/cancel`, { token, json: { force: true } }),
    400,
    "BAD_REQUEST",
  );
  assertErrorShape(
    await s.api(`/api/runs/${failedRun}/restart`, { token, json: { secrets: { API_KEY: 5 } } }),
    400,
    "BAD_REQUEST",
  );

  for (const query of [
    "limit=0",
    "limit=abc",
    "limit=501",
    "status=bogus",
    "cursor=not-a-cursor",
    "colour=blue",
    "limit=1&limit=2",
  ]) {
    const res = await s.api(`/api/runs?${query}`, { token });
    assertErrorShape(res, 400, "BAD_REQUEST");
    assert.equal(res.body.error.details.in, "query", query);
  }
  assertErrorShape(
    await s.api(`/api/runs/${failedRun}/resume-plan?retryFailed=maybe`, { token }),
    400,
    "BAD_REQUEST",
  );
  assertErrorShape(await s.api(`/api/runs/${"x".repeat(129)}`, { token }), 400, "BAD_REQUEST");
  const badLastId = await s.api(`/api/runs/${failedRun}/events`, {
    token,
    headers: { "last-event-id": "seven" },
  });
  assertErrorShape(badLastId, 400, "BAD_REQUEST");
  assert.equal(badLastId.body.error.details.in, "header");

  const notJson = await s.api("/api/workflows/flaky/runs", {
    token,
    raw: "input=1",
    headers: { "content-type": "text/plain" },
    method: "POST",
  });
  assertErrorShape(notJson, 415, "UNSUPPORTED_MEDIA_TYPE");

  assert.equal(await storeState(s.cairn), before, "no bad request changed the store");
});

test("bodies over the limit: 413 before parsing (with or without Content-Length), the store unchanged", async () => {
  const before = await storeState(s.cairn);
  const big = JSON.stringify({ input: { blob: "x".repeat(5000) } });
  const declared = await s.api("/api/workflows/flaky/runs", {
    token: s.tokens.acme,
    raw: big,
    headers: { "content-type": "application/json" },
    method: "POST",
  });
  assertErrorShape(declared, 413, "PAYLOAD_TOO_LARGE");
  assert.deepEqual(declared.body.error.details, { limitBytes: 4096 });

  // Chunked: no Content-Length, so the limit is counted while reading.
  const chunks = [big.slice(0, 3000), big.slice(3000)];
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
  const res = await fetch(`${s.url}/api/workflows/flaky/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${s.tokens.acme}`, "content-type": "application/json" },
    body: stream,
    duplex: "half",
  } as RequestInit);
  assert.equal(res.status, 413);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, "PAYLOAD_TOO_LARGE");

  // Malformed and oversized: the size wins, the body is never parsed.
  const junk = await s.api("/api/workflows/flaky/runs", {
    token: s.tokens.acme,
    raw: `{${"!".repeat(5000)}`,
    headers: { "content-type": "application/json" },
    method: "POST",
  });
  assertErrorShape(junk, 413, "PAYLOAD_TOO_LARGE");
  assert.equal(await storeState(s.cairn), before);

  const fits = await s.api("/api/workflows/flaky/runs", {
    token: s.tokens.acme,
    json: { input: { blob: "x".repeat(3000) } },
  });
  assert.equal(fits.status, 201, "a body under the limit is accepted");
});

test("the default limit is 1 MiB", async () => {
  const d = await startServer({ workflows: [typed] });
  const before = await storeState(d.cairn);
  const over = await d.api("/api/workflows/typed/runs", {
    token: d.tokens.acme,
    json: { input: { name: "x".repeat(1024 * 1024) } },
  });
  assertErrorShape(over, 413, "PAYLOAD_TOO_LARGE");
  assert.deepEqual(over.body.error.details, { limitBytes: 1024 * 1024 });
  assert.equal(await storeState(d.cairn), before);
  const under = await d.api("/api/workflows/typed/runs", {
    token: d.tokens.acme,
    json: { input: { name: "x".repeat(1000 * 1000) } },
  });
  assert.equal(under.status, 201, under.text);
  await d.close();
});

test("401 without a valid bearer token in the Authorization header (never from the query string)", async () => {
  const before = await storeState(s.cairn);
  assertErrorShape(await s.api("/api/runs"), 401, "UNAUTHORIZED");
  assertErrorShape(
    await s.api("/api/runs", { headers: { authorization: "Bearer nonsense" } }),
    401,
    "UNAUTHORIZED",
  );
  assertErrorShape(
    await s.api("/api/runs", { headers: { authorization: `Basic ${s.tokens.acme}` } }),
    401,
    "UNAUTHORIZED",
  );
  assertErrorShape(await s.api("/api/runs", { token: `cairn_${"A".repeat(43)}` }), 401, "UNAUTHORIZED");
  for (const name of ["token", "access_token", "bearer"])
    assertErrorShape(await s.api(`/api/runs?${name}=${s.tokens.acme}`), 401, "UNAUTHORIZED");
  // The OpenAPI document is public (http-conventions.test.ts); every other /api path is not.
  assertErrorShape(await s.api("/api/workflows"), 401, "UNAUTHORIZED");
  assertErrorShape(await s.api("/api/workflows/flaky/runs", { json: {} }), 401, "UNAUTHORIZED");
  assert.equal(await storeState(s.cairn), before, "an unauthenticated start started nothing");

  // A revoked token stops working at once.
  const { createToken } = await import("../../src/server/tokens.js");
  const doomed = await createToken(s.cairn.tokens, { tenant: "acme" });
  assert.equal((await s.api("/api/runs", { token: doomed.token })).status, 200);
  await revokeToken(s.cairn.tokens, doomed.record.id);
  assertErrorShape(await s.api("/api/runs", { token: doomed.token }), 401, "UNAUTHORIZED");
});

test("404 for unknown runs, steps, workflows and routes", async () => {
  const token = s.tokens.acme;
  const run = await s.api("/api/runs/no-such-run", { token });
  assertErrorShape(run, 404, "NOT_FOUND");
  assert.equal(run.body.error.message, 'Run "no-such-run" does not exist.');
  assertErrorShape(await s.api("/api/runs/no-such-run/resume", { token, method: "POST" }), 404, "NOT_FOUND");
  assertErrorShape(await s.api("/api/runs/no-such-run/events", { token }), 404, "NOT_FOUND");
  assertErrorShape(await s.api(`/api/runs/${failedRun}/steps/nope`, { token }), 404, "NOT_FOUND");
  assertErrorShape(await s.api("/api/workflows/nope", { token }), 404, "NOT_FOUND");
  assertErrorShape(await s.api("/api/workflows/nope/runs", { token, json: {} }), 404, "NOT_FOUND");
  assertErrorShape(await s.api("/api/nothing-here", { token }), 404, "NOT_FOUND");
});

test("422 for semantically invalid requests: unknown steps listed, input failing the schema, missing secrets", async () => {
  const before = await storeState(s.cairn);
  const token = s.tokens.acme;
  const unknown = await s.api(`/api/runs/${failedRun}/rerun`, {
    token,
    json: { from: ["parse", "nope", "zilch"] },
  });
  assertErrorShape(unknown, 422, "INVALID_INPUT");
  assert.deepEqual(unknown.body.error.details, { unknown: ["nope", "zilch"] });

  const input = await s.api("/api/workflows/typed/runs", { token, json: { input: { name: "" } } });
  assertErrorShape(input, 422, "INVALID_INPUT");
  assert.match(input.body.error.details.issues[0], /^name: /);
  assertErrorShape(
    await s.api("/api/workflows/typed/runs", { token, json: { input: { nom: "Ada" } } }),
    422,
    "INVALID_INPUT",
  );

  const secrets = await s.api("/api/workflows/secretive/runs", { token, json: {} });
  assertErrorShape(secrets, 422, "INVALID_INPUT");
  assert.deepEqual(secrets.body.error.details, { missing: ["API_KEY"] });

  const markDone = await s.api(`/api/runs/${failedRun}/resume`, {
    token,
    json: { markDone: { stepId: "nope", output: 1 } },
  });
  assertErrorShape(markDone, 422, "INVALID_INPUT");
  assert.deepEqual(markDone.body.error.details, { unknown: ["nope"] });
  assert.equal(await storeState(s.cairn), before);
});

test("an unexpected error is a bare 500: no message, no stack; the server log gets the error", async () => {
  const original = s.cairn.workflows.bind(s.cairn);
  s.cairn.workflows = async () => {
    throw new TypeError("kaboom in /srv/internal/path.ts:12");
  };
  try {
    const res = await s.api("/api/workflows", { token: s.tokens.acme });
    assertErrorShape(res, 500, "INTERNAL");
    assert.equal(res.body.error.message, "Internal server error.");
    assert.doesNotMatch(res.text, /kaboom/);
    assert.match(String(s.internalErrors.at(-1)), /kaboom/);
  } finally {
    s.cairn.workflows = original;
  }
});

test("a store that cannot be reached: /healthz and the API answer 503 with the error shape", async () => {
  const d = await startServer({ workflows: [typed] });
  assert.deepEqual((await d.api("/healthz")).body, { status: "ok" });
  await storeOf(d.cairn).close();
  assertErrorShape(await d.api("/healthz"), 503, "STORE");
  assertErrorShape(await d.api("/api/runs", { token: d.tokens.acme }), 503, "STORE");
  await d.close().catch(() => undefined); // closing writes to the (closed) store
});

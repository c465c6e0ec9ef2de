import assert from "node:assert/strict";
import { test } from "node:test";
import { assertErrorShape, startServer } from "./helpers.js";
import { quick } from "./workflows.js";

// GET /api/me: what a client may offer before it acts (the web UI disables a read-only token's actions).
const s = await startServer({ workflows: [quick] });

test("GET /api/me names the token's tenant and whether it is read-only", async () => {
  const writer = await s.api("/api/me", { token: s.tokens.acme });
  assert.equal(writer.status, 200);
  assert.deepEqual(writer.body, { tenant: "acme", readOnly: false });
  assert.deepEqual((await s.api("/api/me", { token: s.tokens.globex })).body, {
    tenant: "globex",
    readOnly: false,
  });
  const reader = await s.api("/api/me", { token: s.tokens.acmeReader });
  assert.equal(reader.status, 200);
  assert.deepEqual(reader.body, { tenant: "acme", readOnly: true });
  // And it is what the API enforces: the reader's action is refused.
  const refused = await s.api("/api/workflows/quick/runs", { token: s.tokens.acmeReader, json: {} });
  assert.equal(refused.status, 403);
});

test("GET /api/me without a valid token is a 401 like every /api route", async () => {
  for (const token of [undefined, "cairn_not-a-token"]) {
    assertErrorShape(await s.api("/api/me", token === undefined ? {} : { token }), 401, "UNAUTHORIZED");
  }
  assert.equal((await s.api("/api/me?tenant=globex", { token: s.tokens.acme })).status, 400);
});

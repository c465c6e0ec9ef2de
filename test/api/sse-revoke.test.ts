import assert from "node:assert/strict";
import { after, test } from "node:test";
import { workflow } from "../../src/index.js";
import { createToken, revokeToken } from "../../src/server/tokens.js";
import { startServer } from "./helpers.js";
import { SseClient } from "./sse-client.js";

const quick = workflow("quick").step("a", () => 1);
const s = await startServer({ workflows: [quick] });
after(() => s.close());

test("revoking a token ends the event streams opened with it within 5 s; other streams go on", async () => {
  const doomed = await createToken(s.cairn.tokens, { tenant: "acme" });
  const started = await s.api("/api/workflows/quick/runs", { token: doomed.token, json: {} });
  await s.waitForStatus(started.body.id, ["succeeded"]);
  const all = await SseClient.connect(`${s.url}/api/events`, { token: doomed.token });
  const one = await SseClient.connect(`${s.url}/api/runs/${started.body.id}/events`, { token: doomed.token });
  const other = await SseClient.connect(`${s.url}/api/events`, { token: s.tokens.acme });
  after(() => {
    for (const client of [all, one, other]) client.close();
  });
  await all.waitForType("run.succeeded");

  const revokedAt = Date.now();
  await revokeToken(s.cairn.tokens, doomed.record.id);
  await all.waitFor(() => all.ended && one.ended, "both streams of the revoked token to end");
  const tookMs = Date.now() - revokedAt;
  assert.ok(tookMs < 5000, `ended ${tookMs} ms after the revocation`);
  assert.ok(all.comments.some((c) => /token was revoked/.test(c)));
  assert.equal(other.ended, false, "a stream of another token is not touched");

  // A reconnect with the revoked token is refused.
  const again = await SseClient.connect(`${s.url}/api/events`, { token: doomed.token });
  assert.equal(again.status, 401);
});

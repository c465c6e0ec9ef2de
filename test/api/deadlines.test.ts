import assert from "node:assert/strict";
import { after, test } from "node:test";
import { workflow } from "../../src/index.js";
import { startServer } from "./helpers.js";

let calls = 0;
// Hangs on its first execution (until aborted), finishes on the next.
const hang = workflow("hang").step("wait", async ({ signal }) => {
  calls++;
  if (calls > 1) return "finished";
  await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
});

const s = await startServer({ workflows: [hang] });
after(() => s.close());

test("POST runs and resume take a timeout: past it the run fails with the reason; a resume gets its own", async () => {
  const started = await s.api("/api/workflows/hang/runs", {
    token: s.tokens.acme,
    json: { timeout: "300ms" },
  });
  assert.equal(started.status, 201, started.text);
  const failed = await s.waitForStatus(started.body.id, ["failed"]);
  assert.equal(failed.body.reason, "deadline exceeded after 300ms");

  const resumed = await s.api(`/api/runs/${started.body.id}/resume`, {
    token: s.tokens.acme,
    json: { timeout: 60_000 },
  });
  assert.equal(resumed.status, 200, resumed.text);
  const done = await s.waitForStatus(started.body.id, ["succeeded", "failed"]);
  assert.equal(done.body.status, "succeeded");
});

test("a timeout that is not a duration is refused before a run is recorded", async () => {
  const refused = await s.api("/api/workflows/hang/runs", {
    token: s.tokens.acme,
    json: { timeout: "soon" },
  });
  assert.equal(refused.status, 422);
  assert.match(refused.body.error.message, /run timeout must be a duration/);
  const wrongType = await s.api("/api/workflows/hang/runs", {
    token: s.tokens.acme,
    json: { timeout: true },
  });
  assert.equal(wrongType.status, 400);
});

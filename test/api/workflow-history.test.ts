// GET /api/workflows/{id}/history over real HTTP: starts and resumes of a workflow's runs, paged.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertErrorShape, startServer } from "./helpers.js";
import { controls, flaky } from "./workflows.js";

const s = await startServer({ workflows: [flaky] });

test("a workflow's history lists every start and resume, newest first, a page at a time, per tenant", async () => {
  controls.failParse = true;
  for (const runId of ["A", "B"]) {
    assert.equal(
      (await s.api("/api/workflows/flaky/runs", { token: s.tokens.acme, json: { runId } })).status,
      201,
    );
    await s.waitForStatus(runId, ["failed"]);
  }
  controls.failParse = false;
  assert.equal((await s.api("/api/runs/A/resume", { token: s.tokens.acme, json: {} })).status, 200);
  await s.waitForStatus("A", ["succeeded"]);

  const first = await s.api("/api/workflows/flaky/history?limit=2", { token: s.tokens.acme });
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(
    first.body.attempts.map((a: { runId: string; action: string; outcome: string }) => [
      a.runId,
      a.action,
      a.outcome,
    ]),
    [
      ["A", "resume", "succeeded"],
      ["B", "start", "failed"],
    ],
  );
  assert.equal(typeof first.body.nextCursor, "string");
  const second = await s.api(`/api/workflows/flaky/history?limit=2&cursor=${first.body.nextCursor}`, {
    token: s.tokens.acme,
  });
  assert.deepEqual(
    second.body.attempts.map((a: { runId: string; action: string }) => [a.runId, a.action]),
    [["A", "start"]],
  );
  assert.equal(second.body.nextCursor, null);

  const other = await s.api("/api/workflows/flaky/history", { token: s.tokens.globex });
  assert.deepEqual(other.body.attempts, [], "another tenant's runs are not listed");
  assertErrorShape(await s.api("/api/workflows/nope/history", { token: s.tokens.acme }), 404, "NOT_FOUND");
  assertErrorShape(
    await s.api("/api/workflows/flaky/history?cursor=garbage", { token: s.tokens.acme }),
    422,
    "INVALID_INPUT",
  );
  assertErrorShape(
    await s.api("/api/workflows/flaky/history?limit=0", { token: s.tokens.acme }),
    400,
    "BAD_REQUEST",
  );
});

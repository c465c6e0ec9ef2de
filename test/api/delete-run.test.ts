// DELETE /api/runs/{id} over real HTTP.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { assertErrorShape, startServer } from "./helpers.js";
import { controls, flaky, gated, resetGate } from "./workflows.js";

const s = await startServer({ workflows: [flaky, gated] });

test("DELETE removes a finished run and its directory; a rerun made from it shows the parent as deleted", async () => {
  controls.failParse = true;
  const started = await s.api("/api/workflows/flaky/runs", { token: s.tokens.acme, json: { runId: "old" } });
  assert.equal(started.status, 201);
  await s.waitForStatus("old", ["failed"]);
  controls.failParse = false;
  const rerun = await s.api("/api/runs/old/rerun", { token: s.tokens.acme, json: { failed: true } });
  assert.equal(rerun.status, 201, rerun.text);
  const childId = rerun.body.id as string;
  await s.waitForStatus(childId, ["succeeded"]);
  assert.equal(fs.existsSync(path.join(s.dir, "runs", "old")), true);

  assertErrorShape(
    await s.api("/api/runs/old", { method: "DELETE", token: s.tokens.acmeReader }),
    403,
    "FORBIDDEN",
  );
  assertErrorShape(
    await s.api("/api/runs/old", { method: "DELETE", token: s.tokens.globex }),
    404,
    "NOT_FOUND",
  );
  const res = await s.api("/api/runs/old", { method: "DELETE", token: s.tokens.acme });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    { id: res.body.deleted.id, status: res.body.deleted.status, workflowId: res.body.deleted.workflowId },
    { id: "old", status: "failed", workflowId: "flaky" },
  );
  assertErrorShape(await s.api("/api/runs/old", { token: s.tokens.acme }), 404, "NOT_FOUND");
  assert.equal(fs.existsSync(path.join(s.dir, "runs", "old")), false);
  assertErrorShape(
    await s.api("/api/runs/old", { method: "DELETE", token: s.tokens.acme }),
    404,
    "NOT_FOUND",
  );

  const child = await s.api(`/api/runs/${childId}`, { token: s.tokens.acme });
  assert.equal(child.status, 200);
  assert.equal(child.body.lineage.parentRunId, "old");
  assert.equal(child.body.lineage.parentDeleted, true);
  const fetch = child.body.steps.find((st: { id: string }) => st.id === "fetch");
  assert.deepEqual(fetch.output, { rows: 3 });
  assert.equal(fetch.provenance.fromRunId, "old");
  const again = await s.api(`/api/runs/${childId}/rerun`, {
    token: s.tokens.acme,
    json: { from: ["report"] },
  });
  assert.equal(again.status, 201, again.text);
  assert.equal((await s.waitForStatus(again.body.id, ["succeeded", "failed"])).body.status, "succeeded");
});

test("DELETE of a running run is 409 with its status, and changes nothing", async () => {
  resetGate();
  const started = await s.api("/api/workflows/gated/runs", { token: s.tokens.acme, json: { runId: "live" } });
  assert.equal(started.status, 201);
  const res = await s.api("/api/runs/live", { method: "DELETE", token: s.tokens.acme });
  assertErrorShape(res, 409, "CONFLICT");
  assert.equal(res.body.error.details.status, "running");
  assert.match(res.body.error.message, /only a finished run .* can be deleted/);
  controls.gate.open();
  assert.equal((await s.waitForStatus("live", ["succeeded"])).body.steps.length, 3);
});

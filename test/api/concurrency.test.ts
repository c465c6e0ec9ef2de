import assert from "node:assert/strict";
import { test } from "node:test";
import { assertErrorShape, startServer } from "./helpers.js";
import { controls, resetGate, stubborn } from "./workflows.js";

const s = await startServer({ workflows: [stubborn] });

test("20 concurrent POST /resume on one failed run: exactly one 200, the other 19 are 409", async () => {
  controls.failStubborn = true;
  const started = await s.api("/api/workflows/stubborn/runs", {
    token: s.tokens.acme,
    json: { runId: "contended" },
  });
  assert.equal(started.status, 201);
  await s.waitForStatus("contended", ["failed"]);

  // The resumed step then waits on the gate, so the run stays live while the other requests arrive.
  controls.failStubborn = false;
  resetGate();
  const results = await Promise.all(
    Array.from({ length: 20 }, () => s.api("/api/runs/contended/resume", { token: s.tokens.acme, json: {} })),
  );
  const statuses = results.map((r) => r.status);
  assert.equal(statuses.filter((st) => st === 200).length, 1, statuses.join(" "));
  assert.equal(statuses.filter((st) => st === 409).length, 19, statuses.join(" "));
  for (const r of results.filter((x) => x.status === 409)) {
    assertErrorShape(r, 409, "CONFLICT");
    assert.equal(r.body.error.details.status, "running", r.text);
  }
  const winner = results.find((r) => r.status === 200)!;
  assert.equal(winner.body.run.attempt, 2);

  const history = await s.cairn.history("contended");
  assert.deepEqual(
    history.map((h) => h.action),
    ["start", "resume"],
    "exactly one resume was recorded",
  );
  controls.gate.open();
  const done = await s.waitForStatus("contended", ["succeeded", "failed"]);
  assert.equal(done.body.status, "succeeded");
  assert.equal(done.body.steps[0].attempts, 2, "the step ran once more, not 20 times");
});

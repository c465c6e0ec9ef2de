// POST /api/runs/bulk/{action} over real HTTP: one combined plan, then per-run results.
import assert from "node:assert/strict";
import { test } from "node:test";
import { storeOf } from "../../src/engine/client-state.js";
import { workflow } from "../../src/index.js";
import { assertErrorShape, startServer } from "./helpers.js";

const state = { failLoad: true, loads: 0 };
const batch = workflow("batch")
  .step("fetch", async () => ({ rows: 3 }))
  .step("load", { needs: ["fetch"] }, async ({ needs }) => {
    state.loads++;
    if (state.failLoad) throw new Error("warehouse unavailable");
    return needs.fetch.rows;
  });

const s = await startServer({ workflows: [batch] });
const RUNS = 50;

test("bulk resume of 50 interrupted runs: one plan with totals, one refused run, the other 49 resumed", async () => {
  const ids: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const res = await s.api("/api/workflows/batch/runs", { token: s.tokens.acme, json: { runId: `b${i}` } });
    assert.equal(res.status, 201, res.text);
    ids.push(res.body.id);
  }
  for (const id of ids) await s.waitForStatus(id, ["failed"]);
  // The incident: every run is left interrupted; one needs a secret a bulk request cannot carry.
  await storeOf(s.cairn).transaction(async (tx) => {
    for (const id of ids) await tx.updateRun(id, { status: "interrupted", reason: "database outage" });
    await tx.updateRun("b7", { secretNames: ["TOKEN"] });
  });
  const body = { filter: { status: "interrupted", workflow: "batch" }, limit: 100 };

  const dry = await s.api("/api/runs/bulk/resume", { token: s.tokens.acme, json: { ...body, dryRun: true } });
  assert.equal(dry.status, 200, dry.text);
  assert.equal(dry.body.runs.length, RUNS);
  assert.deepEqual(dry.body.totals, { runs: 50, refused: 1, execute: 49, keep: 49 });
  assert.deepEqual(dry.body.runs[0].steps, { keep: 1, retry: 1 });
  const refused = dry.body.runs.find((r: { runId: string }) => r.runId === "b7");
  assert.match(refused.refusal, /needs the secret TOKEN/);
  assert.equal(dry.body.results, undefined);
  assert.equal(dry.body.more, false);
  assert.equal(state.loads, RUNS, "a dry run executes nothing");
  assert.equal((await storeOf(s.cairn).getRun("b0"))?.status, "interrupted", "nor changes any run");

  state.failLoad = false;
  const done = await s.api("/api/runs/bulk/resume", { token: s.tokens.acme, json: body });
  assert.equal(done.status, 200, done.text);
  const results = done.body.results as Array<{ runId: string; ok: boolean; error?: { message: string } }>;
  assert.equal(results.filter((r) => r.ok).length, 49);
  assert.deepEqual(
    results.filter((r) => !r.ok).map((r) => r.runId),
    ["b7"],
  );
  for (const id of ids.filter((i) => i !== "b7"))
    assert.equal((await s.waitForStatus(id, ["succeeded", "failed"])).body.status, "succeeded");
  assert.equal(state.loads, RUNS + 49, "each resumed run executed its failed step once");
  const history = await s.cairn.history("b0");
  assert.deepEqual(
    history.map((h) => [h.action, h.actor]),
    [
      ["start", s.tokenIds.acme],
      ["resume", s.tokenIds.acme],
    ],
  );

  // Safe to repeat: only the refused run still matches, and it is refused again.
  const again = await s.api("/api/runs/bulk/resume", { token: s.tokens.acme, json: body });
  assert.deepEqual(
    again.body.runs.map((r: { runId: string }) => r.runId),
    ["b7"],
  );
  assert.equal(again.body.results[0].ok, false);
});

test("bulk requests are bounded, scoped to the tenant, and need a selection", async () => {
  const page = await s.api("/api/runs/bulk/restart", {
    token: s.tokens.acme,
    json: { filter: { workflow: "batch" }, dryRun: true, limit: 10 },
  });
  assert.equal(page.status, 200, page.text);
  assert.equal(page.body.runs.length, 10);
  assert.equal(page.body.more, true);
  assert.deepEqual(page.body.runs[0].steps, { run: 2 });

  const other = await s.api("/api/runs/bulk/cancel", {
    token: s.tokens.globex,
    json: { ids: ["b1", "b2"], dryRun: true },
  });
  assert.deepEqual(other.body.runs, [], "another tenant's runs are not selected");

  const cancel = await s.api("/api/runs/bulk/cancel", { token: s.tokens.acme, json: { ids: ["b7", "b1"] } });
  assert.deepEqual(
    cancel.body.results.map((r: { runId: string; ok: boolean }) => [r.runId, r.ok]),
    [
      ["b1", false],
      ["b7", true],
    ],
  );

  state.failLoad = true;
  assert.equal(
    (await s.api("/api/workflows/batch/runs", { token: s.tokens.acme, json: { runId: "c1" } })).status,
    201,
  );
  await s.waitForStatus("c1", ["failed"]);
  state.failLoad = false;
  const rerunPlan = await s.api("/api/runs/bulk/rerun", {
    token: s.tokens.acme,
    json: { ids: ["c1", "b1"], dryRun: true },
  });
  assert.deepEqual(
    rerunPlan.body.runs.map((r: { runId: string; steps: unknown; refusal: string | null }) => [
      r.runId,
      r.steps,
      r.refusal,
    ]),
    [
      ["b1", {}, 'Run "b1" has no failed steps to rerun.'],
      ["c1", { rerun: 1, keep: 1 }, null],
    ],
  );
  const rerun = await s.api("/api/runs/bulk/rerun", { token: s.tokens.acme, json: { ids: ["c1"] } });
  const newRunId = rerun.body.results[0].newRunId as string;
  const child = await s.waitForStatus(newRunId, ["succeeded", "failed"]);
  assert.equal(child.body.status, "succeeded");
  assert.equal(child.body.steps[0].provenance.kind, "reused");

  assertErrorShape(
    await s.api("/api/runs/bulk/resume", { token: s.tokens.acme, json: {} }),
    400,
    "BAD_REQUEST",
  );
  assertErrorShape(
    await s.api("/api/runs/bulk/resume", { token: s.tokens.acme, json: { ids: ["b1"], limit: 501 } }),
    400,
    "BAD_REQUEST",
  );
  assertErrorShape(
    await s.api("/api/runs/bulk/explode", { token: s.tokens.acme, json: { ids: ["b1"] } }),
    400,
    "BAD_REQUEST",
  );
  assertErrorShape(
    await s.api("/api/runs/bulk/cancel", { token: s.tokens.acmeReader, json: { ids: ["b1"] } }),
    403,
    "FORBIDDEN",
  );
});

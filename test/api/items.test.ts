// A map step's items over HTTP: a page filtered by status, the cursor to the next page, one item's
// detail with its own log lines, and the 404s of another tenant, an unknown step and an unknown key.
import assert from "node:assert/strict";
import { test } from "node:test";
import { workflow } from "../../src/index.js";
import { ItemDetailSchema, ItemPageSchema } from "../../src/server/schemas.js";
import { startServer } from "./helpers.js";

const pages = workflow("pages")
  .step("plan", async () => Array.from({ length: 7 }, (_, i) => ({ name: `p${i}` })))
  .map("each", { items: "plan", key: "name", maxFailures: 7 }, async (page: { name: string }, ctx) => {
    ctx.log(`reading ${page.name}`);
    if (page.name === "p3" || page.name === "p5") throw new Error(`page ${page.name} is broken`);
    return page.name.toUpperCase();
  });

const s = await startServer({ workflows: [pages] });

test("GET …/steps/{stepId}/items pages a map's items by status; …/items/{key} has the item's output, error and log", async () => {
  const started = await s.api("/api/workflows/pages/runs", {
    token: s.tokens.acme,
    json: { runId: "map-1" },
  });
  assert.equal(started.status, 201, started.text);
  await s.waitForStatus("map-1", ["succeeded"]);

  const first = await s.api("/api/runs/map-1/steps/each/items?limit=3", { token: s.tokens.acme });
  assert.equal(first.status, 200, first.text);
  ItemPageSchema.parse(first.body);
  assert.deepEqual(
    first.body.items.map((i: { key: string; status: string; output: unknown }) => [
      i.key,
      i.status,
      i.output,
    ]),
    [
      ["p0", "succeeded", "P0"],
      ["p1", "succeeded", "P1"],
      ["p2", "succeeded", "P2"],
    ],
  );
  assert.deepEqual(first.body.counts, { succeeded: 5, failed: 2 });
  assert.equal(first.body.nextCursor, "2");
  const second = await s.api(`/api/runs/map-1/steps/each/items?limit=3&cursor=${first.body.nextCursor}`, {
    token: s.tokens.acme,
  });
  assert.deepEqual(
    second.body.items.map((i: { key: string }) => i.key),
    ["p3", "p4", "p5"],
  );

  const failed = await s.api("/api/runs/map-1/steps/each/items?status=failed", { token: s.tokens.acme });
  assert.deepEqual(
    failed.body.items.map((i: { key: string; error: { message: string } }) => [i.key, i.error.message]),
    [
      ["p3", "page p3 is broken"],
      ["p5", "page p5 is broken"],
    ],
  );
  assert.equal(failed.body.nextCursor, null);

  const one = await s.api("/api/runs/map-1/steps/each/items/p5", { token: s.tokens.acme });
  assert.equal(one.status, 200, one.text);
  ItemDetailSchema.parse(one.body);
  assert.equal(one.body.status, "failed");
  assert.equal(one.body.error.message, "page p5 is broken");
  const lines = one.body.logs.map((l: { line: string }) => l.line);
  assert.ok(lines.includes("reading p5"), lines.join("\n"));
  assert.ok(
    lines.every((l: string) => !l.includes("p4")),
    "only this item's lines",
  );
});

test("items: another tenant, an unknown step or key is a 404; a bad status or cursor a 400", async () => {
  await s.api("/api/workflows/pages/runs", { token: s.tokens.acme, json: { runId: "map-2" } });
  await s.waitForStatus("map-2", ["succeeded"]);
  const other = await s.api("/api/runs/map-2/steps/each/items", { token: s.tokens.globex });
  assert.equal(other.status, 404);
  const step = await s.api("/api/runs/map-2/steps/nope/items", { token: s.tokens.acme });
  assert.equal(step.status, 404);
  assert.equal(step.body.error.message, 'Run "map-2" has no step "nope".');
  const key = await s.api("/api/runs/map-2/steps/each/items/p99", { token: s.tokens.acme });
  assert.equal(key.status, 404);
  assert.equal(key.body.error.message, 'Step "each" of run "map-2" has no recorded item "p99".');
  const status = await s.api("/api/runs/map-2/steps/each/items?status=running", { token: s.tokens.acme });
  assert.equal(status.status, 400);
  const cursor = await s.api("/api/runs/map-2/steps/each/items?cursor=x", { token: s.tokens.acme });
  assert.equal(cursor.status, 400);
  const plain = await s.api("/api/runs/map-2/steps/plan/items", { token: s.tokens.acme });
  assert.equal(plain.status, 200);
  assert.deepEqual(plain.body.items, []);
});

test("rerun of chosen items over HTTP: the plan with items=…, then { from: [map], items: [keys] } runs only those", async () => {
  await s.api("/api/workflows/pages/runs", { token: s.tokens.acme, json: { runId: "map-3" } });
  await s.waitForStatus("map-3", ["succeeded"]);
  const plan = await s.api("/api/runs/map-3/rerun-plan?from=each&items=p1,p3", { token: s.tokens.acme });
  assert.equal(plan.status, 200, plan.text);
  const each = plan.body.steps.find((st: { stepId: string }) => st.stepId === "each");
  assert.match(each.why, /map: 4 succeeded reused, 1 chosen to run again, 2 failed to retry/);
  const itemsAlone = await s.api("/api/runs/map-3/rerun-plan?failed=true&items=p1", { token: s.tokens.acme });
  assert.equal(itemsAlone.status, 400);

  const rerun = await s.api("/api/runs/map-3/rerun", {
    token: s.tokens.acme,
    json: { from: ["each"], items: ["p1"] },
  });
  assert.equal(rerun.status, 201, rerun.text);
  const done = await s.waitForStatus(rerun.body.id, ["succeeded"]);
  assert.equal(done.body.status, "succeeded");
  const items = await s.api(`/api/runs/${rerun.body.id}/steps/each/items`, { token: s.tokens.acme });
  assert.deepEqual(
    items.body.items.map((i: { key: string; status: string; fromRunId: string | null }) => [
      i.key,
      i.status,
      i.fromRunId,
    ]),
    [
      ["p0", "succeeded", "map-3"],
      ["p1", "succeeded", null],
      ["p2", "succeeded", "map-3"],
      ["p3", "failed", null],
      ["p4", "succeeded", "map-3"],
      ["p5", "failed", null],
      ["p6", "succeeded", "map-3"],
    ],
  );
  const unknown = await s.api("/api/runs/map-3/rerun", {
    token: s.tokens.acme,
    json: { from: ["each"], items: ["p42"] },
  });
  assert.equal(unknown.status, 422);
  assert.match(unknown.body.error.message, /has no recorded item "p42"/);
});

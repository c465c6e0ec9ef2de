import assert from "node:assert/strict";
import { test } from "node:test";
import { storeOf } from "../../src/engine/client-state.js";
import { workflow } from "../../src/index.js";
import { until } from "../helpers/temp.js";
import { startServer } from "./helpers.js";

const SCHEMA = { type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] };
const approval = workflow("approval").step("ask", async (ctx) =>
  ctx.waitForSignal("approve", { schema: SCHEMA }),
);

const s = await startServer({ workflows: [approval] });

test("POST /api/runs/{id}/signals/{name}: bad data is a 422 with the reason and is not kept; good data continues the run once", async () => {
  const id = (await s.api("/api/workflows/approval/runs", { token: s.tokens.acme, json: { runId: "r-api" } }))
    .body.id as string;
  const parked = await until(async () => {
    const run = await s.api(`/api/runs/${id}`, { token: s.tokens.acme });
    return run.body.waiting as string | null;
  }, "the run to wait");
  assert.equal(parked, 'step "ask" waiting for signal "approve"');
  const waiting = await s.api(`/api/runs/${id}/steps/ask`, { token: s.tokens.acme });
  assert.deepEqual(
    waiting.body.waiting,
    {
      kind: "signal",
      until: null,
      signal: "approve",
      childRunId: null,
      schema: SCHEMA,
      description: 'waiting for signal "approve"',
    },
    "the schema the UI builds its answer form from",
  );

  const bad = await s.api(`/api/runs/${id}/signals/approve`, {
    token: s.tokens.acme,
    json: { data: { approved: 1 } },
  });
  assert.equal(bad.status, 422);
  assert.match(bad.body.error.message, /does not fit the schema of step "ask": approved: .*boolean/);
  assert.deepEqual(await storeOf(s.cairn).read((tx) => tx.listSignals(id)), []);

  const reader = await s.api(`/api/runs/${id}/signals/approve`, {
    token: s.tokens.acmeReader,
    json: { data: { approved: true } },
  });
  assert.equal(reader.status, 403);

  const sends = await Promise.all(
    [1, 2, 3].map(() =>
      s.api(`/api/runs/${id}/signals/approve`, {
        token: s.tokens.acme,
        json: { data: { approved: true }, key: "k" },
      }),
    ),
  );
  assert.deepEqual(
    sends.map((r) => r.status),
    [202, 202, 202],
  );
  assert.equal(sends.filter((r) => r.body.accepted).length, 1);
  const done = await s.waitForStatus(id, ["succeeded"]);
  assert.deepEqual(done.body.output, { approved: true });
  const step = await s.api(`/api/runs/${id}/steps/ask`, { token: s.tokens.acme });
  assert.equal(step.body.waiting, null);
});

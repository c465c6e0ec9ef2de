import assert from "node:assert/strict";
import { test } from "node:test";
import { PLAN_ACTIONS } from "../../src/core/resume-plan.js";
import { RUN_ACTIONS } from "../../src/core/run-actions.js";
import { RUN_STATUSES, STEP_STATUSES } from "../../src/core/types.js";
import type * as web from "../../web/src/api/types.js";
import { webModule } from "./helpers/web-module.js";

// The UI's API types are inferred from the server's response schemas (web/src/api/types.ts), so the
// typecheck (`npm run typecheck`) fails when the UI reads a field the server does not send. These
// lines prove it: each must stay a type error, or tsc reports an unused `@ts-expect-error`.
export function unsentFields(run: web.RunDetail, step: web.StepDetail, event: web.CairnEvent): unknown[] {
  return [
    // @ts-expect-error: a run has no `owner` (worker ids stay inside the server).
    run.owner,
    // @ts-expect-error: a run's actions are the closed set of core/run-actions.ts.
    run.actions.delete,
    // @ts-expect-error: a step's lease stays inside the server.
    step.leaseExpiresAt,
    // @ts-expect-error: an event has no `payload` (it is `data`).
    event.payload,
  ];
}

test("the UI's closed sets match the engine's", async () => {
  const types = await webModule<Record<string, unknown>>("api/types.ts");
  assert.deepEqual(types.RUN_STATUSES, RUN_STATUSES);
  assert.deepEqual(types.STEP_STATUSES, STEP_STATUSES);
  assert.deepEqual(types.RUN_ACTIONS, RUN_ACTIONS);
  assert.deepEqual(types.PLAN_ACTIONS, PLAN_ACTIONS);
});

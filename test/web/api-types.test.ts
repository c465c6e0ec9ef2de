import assert from "node:assert/strict";
import { test } from "node:test";
import type { z } from "@hono/zod-openapi";
import {
  ON_CHANGE as CORE_ON_CHANGE,
  PLAN_ACTIONS as CORE_PLAN_ACTIONS,
} from "../../src/core/resume-plan.js";
import { RUN_ACTIONS as CORE_RUN_ACTIONS } from "../../src/core/run-actions.js";
import {
  RUN_STATUSES as CORE_RUN_STATUSES,
  STEP_STATUSES as CORE_STEP_STATUSES,
  EVENT_TYPES,
} from "../../src/core/types.js";
import type {
  EventSchema,
  HistorySchema,
  LatestFailedSchema,
  PlanSchema,
  ResumePlanResponseSchema,
  RunDetailSchema,
  RunPageSchema,
  StepDetailSchema,
  WorkflowListSchema,
  WorkflowSchema,
} from "../../src/server/schemas.js";
import * as web from "../../web/src/api/types.js";

// The UI declares the API's shapes itself (web/ does not import server code). These checks fail the
// typecheck (`npm run typecheck`) when a response schema and the UI's type drift apart, and fail at
// run time when the closed sets of statuses and actions do.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Out<T extends z.ZodType> = z.output<T>;
const checks: {
  runDetail: Same<web.RunDetail, Out<typeof RunDetailSchema>>;
  runPage: Same<web.RunPage, Out<typeof RunPageSchema>>;
  stepDetail: Same<web.StepDetail, Out<typeof StepDetailSchema>>;
  history: Same<{ attempts: web.RunAttempt[] }, Out<typeof HistorySchema>>;
  plan: Same<web.ResumePlan, Out<typeof ResumePlanResponseSchema>>;
  rerunPlan: Same<web.Plan, Out<typeof PlanSchema>>;
  workflow: Same<web.Workflow, Out<typeof WorkflowSchema>>;
  workflows: Same<{ workflows: web.WorkflowSummary[] }, Out<typeof WorkflowListSchema>>;
  latestFailed: Same<web.LatestFailed, Out<typeof LatestFailedSchema>>;
  event: Same<Omit<web.CairnEvent, "data">, Omit<Out<typeof EventSchema>, "data">>;
} = {
  runDetail: true,
  runPage: true,
  stepDetail: true,
  history: true,
  plan: true,
  rerunPlan: true,
  workflow: true,
  workflows: true,
  latestFailed: true,
  event: true,
};

test("the UI's closed sets match the engine's", () => {
  assert.ok(Object.values(checks).every(Boolean));
  assert.deepEqual(web.RUN_STATUSES, CORE_RUN_STATUSES);
  assert.deepEqual(web.STEP_STATUSES, CORE_STEP_STATUSES);
  assert.deepEqual(web.RUN_ACTIONS, CORE_RUN_ACTIONS);
  assert.deepEqual(web.PLAN_ACTIONS, CORE_PLAN_ACTIONS);
  assert.deepEqual(web.ON_CHANGE, CORE_ON_CHANGE);
  const eventTypes: readonly web.EventType[] = EVENT_TYPES;
  assert.equal(eventTypes.length, EVENT_TYPES.length);
});

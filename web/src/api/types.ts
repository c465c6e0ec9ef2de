/**
 * The HTTP API's response shapes, as the UI reads them: inferred from the server's own response
 * schemas (src/server/schemas.ts, which the OpenAPI document is generated from), so a field the UI
 * reads that the server does not send fails `npm run typecheck`. Only types cross over (`import
 * type`): no server code reaches the bundle. The closed sets are the engine's own constants.
 * Times are milliseconds since the Unix epoch.
 */
import type { z } from "@hono/zod-openapi";
import type * as files from "../../../src/server/file-schemas.js";
import type * as deletion from "../../../src/server/routes/delete-run.js";
import type * as api from "../../../src/server/schemas.js";

export { ON_CHANGE, type OnChange, PLAN_ACTIONS, type PlanAction } from "../../../src/core/resume-plan.js";
export { RUN_ACTIONS, type RunAction } from "../../../src/core/run-actions.js";
export {
  EVENT_TYPES,
  type EventType,
  FINISHED_RUN_STATUSES,
  ITEM_STATUSES,
  type ItemStatus,
  RUN_STATUSES,
  type RunStatus,
  STEP_STATUSES,
  type StepStatus,
} from "../../../src/core/types.js";

type Out<T extends z.ZodType> = z.output<T>;

export type Run = Out<typeof api.RunSchema>;
/** Whether the run's status allows an action now and, when not, why (core/run-actions.ts decides). */
export type RunActionState = Run["actions"]["resume"];
export type RunOrigin = Run["origin"];
export type StepError = Out<typeof api.StepErrorSchema>;
export type Provenance = Out<typeof api.ProvenanceSchema>;
export type StepWait = Out<typeof api.StepWaitSchema>;
export type Step = Out<typeof api.StepSchema>;
export type RunDetail = Out<typeof api.RunDetailSchema>;
/** What `DELETE /api/runs/{id}` answers: the run that is gone and the bytes its directory freed. */
export type DeletedRun = Out<typeof deletion.DeletedRunSchema>;
export type LogLine = Out<typeof api.LogLineSchema>;
export type StepDetail = Out<typeof api.StepDetailSchema>;
/** One settled item of a map step; a page of them; one with its log lines. */
export type Item = Out<typeof api.ItemSchema>;
export type ItemPage = Out<typeof api.ItemPageSchema>;
export type ItemDetail = Out<typeof api.ItemDetailSchema>;
export type RunPage = Out<typeof api.RunPageSchema>;
export type RunAttempt = Out<typeof api.RunAttemptSchema>;
/** What a resume or a rerun would do with every step (core/resume-plan.ts ResumePlan). */
export type Plan = Out<typeof api.PlanSchema>;
export type PlanStep = Plan["steps"][number];
/** A plan plus the secrets the resume (or rerun) request must carry. */
export type ResumePlan = Out<typeof api.ResumePlanResponseSchema>;
export type ResumeResult = Out<typeof api.ResumeResultSchema>;
export type WorkflowSummary = Out<typeof api.WorkflowSummarySchema>;
export type WorkflowStep = Out<typeof api.WorkflowStepSchema>;
export type Workflow = Out<typeof api.WorkflowSchema>;
export type LatestFailed = Out<typeof api.LatestFailedSchema>;
export type FailedStep = LatestFailed["failed"][number];
export type RerunReason = NonNullable<PlanStep["cause"]>;
/** One run or step transition: the `data:` of an SSE message; `seq` is also its `id:`. */
export type CairnEvent = Out<typeof api.EventSchema>;
export type ErrorBody = Out<typeof api.ErrorSchema>;
/** What a bulk action did, or would do, to each selected run (POST /api/runs/bulk/{action}). */
export type BulkReport = Out<typeof api.BulkReportSchema>;
export type BulkAction = BulkReport["action"];
/** The caller's token: its tenant and whether it may act. */
export type Me = Out<typeof api.MeSchema>;
export type SignalResult = Out<typeof api.SignalResultSchema>;
export type Schedule = Out<typeof api.ScheduleSchema>;
/** The files of a run's working directory, with its declared outputs (GET /api/runs/{id}/files). */
export type RunFileList = Out<typeof files.RunFileListSchema>;
export type RunFile = RunFileList["files"][number];
export type DeclaredFile = Out<typeof files.DeclaredFileSchema>;

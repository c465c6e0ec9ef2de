import { z } from "@hono/zod-openapi";
import { PLAN_ACTIONS, STRATEGY_OPTIONS } from "../core/resume-plan.js";
import { RUN_ACTIONS, type RunAction } from "../core/run-actions.js";
import {
  EVENT_TYPES,
  ITEM_STATUSES,
  PROVENANCE_KINDS,
  RERUN_REASONS,
  RUN_ORIGINS,
  RUN_STATUSES,
  STEP_STATUSES,
} from "../core/types.js";
import { BULK_ACTIONS } from "../engine/bulk.js";
import { API_ERROR_CODES } from "./errors.js";

/**
 * Response shapes. Hono checks these only at compile time, so the API tests parse every response
 * with them too. Times are milliseconds since the Unix epoch.
 */

export const JsonValue = z.unknown().openapi({ description: "Any JSON value." });
const Millis = z.number().int().openapi({ description: "Milliseconds since the Unix epoch." });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(API_ERROR_CODES as [string, ...string[]]),
      message: z.string().openapi({ description: "One sentence a person can act on. Never a stack trace." }),
      details: JsonValue.openapi({
        description:
          "Machine-readable specifics: `status` on 409, `unknown`/`missing`/`issues` on 422, `issues` on 400; null otherwise.",
      }),
    }),
  })
  .openapi("Error");

export const StepErrorSchema = z
  .object({ message: z.string(), code: z.string().optional() })
  .openapi("StepError", { description: "Why a step or run failed (the stack stays on the server)." });

export const ProvenanceSchema = z
  .object({
    kind: z.enum(PROVENANCE_KINDS),
    fromRunId: z.string().optional(),
    reason: z.enum(RERUN_REASONS).optional(),
    by: z.string().optional(),
    fingerprint: z.string().optional(),
  })
  .openapi("Provenance", { description: "How a step's current result came to be." });

const RunActionSchema = z
  .object({
    allowed: z.boolean().openapi({ description: "Whether the action may be applied now." }),
    reason: z.string().nullable().openapi({
      description: "Why the action is refused in the run's status (what to do instead); null when allowed.",
    }),
  })
  .openapi("RunAction");

export const RunActionsSchema = z
  .object(
    Object.fromEntries(RUN_ACTIONS.map((action) => [action, RunActionSchema])) as Record<
      RunAction,
      typeof RunActionSchema
    >,
  )
  .openapi("RunActions", {
    description:
      "Which actions the run's status allows now, from the engine's own table (core/run-actions.ts): a client shows these instead of deriving them from `status`.",
  });

export const RunSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    tenant: z.string(),
    status: z.enum(RUN_STATUSES),
    input: JsonValue,
    output: JsonValue,
    error: StepErrorSchema.nullable(),
    createdAt: Millis,
    updatedAt: Millis,
    finishedAt: Millis.nullable(),
    origin: z.enum(RUN_ORIGINS),
    parentRunId: z.string().nullable(),
    rootRunId: z.string(),
    attempt: z.number().int().openapi({ description: "Run attempts: 1 for the first start, +1 per resume." }),
    reason: z.string().nullable().openapi({ description: "Why the run is interrupted, or what stopped it." }),
    secretNames: z
      .array(z.string())
      .openapi({ description: "Secrets the run needs at resume (names only)." }),
    actions: RunActionsSchema,
  })
  .openapi("Run");

export const StepWaitSchema = z
  .object({
    kind: z.enum(["sleep", "signal"]),
    until: Millis.nullable().openapi({ description: "When it wakes (a signal's timeout); null: no end." }),
    signal: z.string().nullable().openapi({ description: "For kind signal: the signal's name." }),
    schema: JsonValue.nullable().openapi({
      description:
        "For kind signal: the JSON Schema its data must fit (the UI builds its answer form from it); null when none was declared.",
    }),
    description: z.string().openapi({ example: "sleeping until 2026-12-04T17:00:00.000Z" }),
  })
  .openapi("StepWait", { description: "What a parked step waits for; it holds no executor slot." });

export const StepSchema = z
  .object({
    id: z.string(),
    label: z.string().nullable(),
    status: z.enum(STEP_STATUSES),
    needs: z.array(z.string()),
    attempts: z.number().int(),
    recoveries: z.number().int(),
    startedAt: Millis.nullable(),
    finishedAt: Millis.nullable(),
    durationMs: z.number().int().nullable(),
    output: JsonValue,
    error: StepErrorSchema.nullable(),
    provenance: ProvenanceSchema.nullable(),
    waiting: StepWaitSchema.nullable(),
    items: z.record(z.enum(ITEM_STATUSES), z.number().int()).nullable().openapi({
      description:
        "For a map step with recorded items: how many succeeded and how many failed (items still to run have no record yet); null for other steps.",
    }),
  })
  .openapi("Step");

export const RunDetailSchema = RunSchema.extend({
  steps: z.array(StepSchema),
  lineage: z.object({
    parentRunId: z.string().nullable(),
    parentDeleted: z.boolean().openapi({
      description: "The parent run was deleted (gc, DELETE); this run's reused outputs are its own copies.",
    }),
    rootRunId: z.string(),
    children: z.array(
      z.object({ id: z.string(), origin: z.enum(RUN_ORIGINS), status: z.enum(RUN_STATUSES) }),
    ),
  }),
  orphaned: z.string().nullable().openapi({
    description: "Set when the run is recorded as running but nobody drives it (shown as interrupted).",
  }),
  waiting: z.string().nullable().openapi({
    description:
      'Set while the run is running but every unfinished step is parked, e.g. `step "cool-off" sleeping until 2026-12-04T17:00:00.000Z`.',
  }),
}).openapi("RunDetail");

export const LogLineSchema = z
  .object({
    attempt: z.number().int(),
    at: Millis,
    stream: z.enum(["stdout", "stderr", "log"]),
    line: z.string(),
  })
  .openapi("LogLine");

export const StepDetailSchema = StepSchema.extend({
  runId: z.string(),
  error: z
    .object({
      message: z.string(),
      code: z.string().optional(),
      stack: z
        .string()
        .optional()
        .openapi({ description: "The stack the step's own code threw (secrets masked)." }),
    })
    .nullable(),
  checkpoint: JsonValue,
  vars: JsonValue,
  memos: z
    .array(z.object({ key: z.string(), at: Millis, value: JsonValue }))
    .openapi({ description: "Memoized sub-steps recorded by `ctx.memo` in this run." }),
  logs: z.array(LogLineSchema),
}).openapi("StepDetail");

export const RunPageSchema = z
  .object({
    runs: z.array(RunSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next (older) page; null on the last page." }),
    eventSeq: z.number().int().openapi({
      description:
        "The newest event's seq when this page was read. Follow `GET /api/events?after=<eventSeq>` to get every change since, without replaying the history before it.",
    }),
  })
  .openapi("RunPage");

export const RunAttemptSchema = z
  .object({
    number: z.number().int(),
    at: Millis,
    trigger: z.string(),
    actor: z.string().nullable(),
    action: z.enum(["start", "resume"]),
    strategy: JsonValue,
    stepsDone: z.number().int(),
    stepsTotal: z.number().int(),
    outcome: z.enum(RUN_STATUSES).nullable(),
    endedAt: Millis.nullable(),
    note: z.string().nullable(),
  })
  .openapi("RunAttempt");

export const HistorySchema = z.object({ attempts: z.array(RunAttemptSchema) }).openapi("History");

export const PlanSchema = z
  .object({
    steps: z.array(
      z.object({
        stepId: z.string(),
        status: z.union([z.enum(STEP_STATUSES), z.literal("new")]),
        action: z.enum(PLAN_ACTIONS),
        why: z.string(),
        cause: z.enum(RERUN_REASONS).nullable(),
        fromRunId: z
          .string()
          .nullable()
          .openapi({ description: "For a kept step: the run whose recorded output is used." }),
        items: z.record(z.enum(ITEM_STATUSES), z.number().int()).optional().openapi({
          description:
            "For a map step that executes again in place: its recorded items by status (succeeded ones are kept, the others run).",
        }),
      }),
    ),
    changed: z.array(z.string()),
    unknown: z.array(z.string()),
    refusal: z
      .string()
      .nullable()
      .openapi({ description: "Why the resume (or rerun) would be refused, or null." }),
    summary: z.record(z.enum(PLAN_ACTIONS), z.number().int()),
    strategy: z
      .record(
        z.enum(STRATEGY_OPTIONS),
        z.object({ value: JsonValue, from: z.enum(["request", "workflow", "default"]) }),
      )
      .optional()
      .openapi({
        description:
          "For a resume: each option as applied (retryFailed, resetRunning, maxAttempts, onChange) and where it came from: the request, the workflow's `resume` defaults, or Cairn's default.",
      }),
  })
  .openapi("ResumePlan");

export const ResumePlanResponseSchema = PlanSchema.extend({
  secretsNeeded: z
    .array(z.string())
    .openapi({ description: "Secrets the resume request must carry (names)." }),
}).openapi("ResumePlanResponse");

export const ResumeResultSchema = z
  .object({ run: RunDetailSchema, plan: PlanSchema })
  .openapi("ResumeResult");

export const WorkflowStepSchema = z
  .object({
    id: z.string(),
    needs: z.array(z.string()),
    label: z.string().nullable(),
    effects: z.enum(["idempotent", "non-idempotent"]),
    timeoutMs: z.number().int().nullable(),
    retry: z.object({
      attempts: z.number().int(),
      initialMs: z.number(),
      factor: z.number(),
      maxMs: z.number(),
    }),
    outputs: z.array(z.string()),
  })
  .openapi("WorkflowStep");

export const WorkflowSummarySchema = z
  .object({
    id: z.string(),
    fingerprint: z.string(),
    updatedAt: Millis,
    stepCount: z.number().int(),
    secrets: z.array(z.string()),
    hasInputSchema: z.boolean(),
  })
  .openapi("WorkflowSummary");

export const WorkflowListSchema = z
  .object({ workflows: z.array(WorkflowSummarySchema) })
  .openapi("WorkflowList");

export const WorkflowSchema = WorkflowSummarySchema.extend({
  steps: z.array(WorkflowStepSchema),
  failFast: z.boolean(),
  recovery: z.enum(["auto", "manual"]),
  maxRecoveries: z.number().int(),
  inputSchema: JsonValue.nullable().openapi({
    description: "The run input's JSON Schema, when the workflow has one.",
  }),
}).openapi("Workflow", { description: "A workflow's graph: enough to draw it." });

export const LatestFailedSchema = z
  .object({
    run: RunSchema,
    failed: z.array(
      z.object({
        stepId: z.string(),
        label: z.string().nullable(),
        error: z.string().openapi({ description: "First line of the step's error." }),
      }),
    ),
  })
  .openapi("LatestFailed");

export const EventSchema = z
  .object({
    seq: z.number().int().openapi({ description: "Store sequence number; also the SSE `id:`." }),
    runId: z.string(),
    stepId: z.string().nullable(),
    type: z.enum(EVENT_TYPES),
    at: Millis,
    data: JsonValue,
  })
  .openapi("Event", { description: "One run or step transition; sent as the `data:` of an SSE message." });

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

export const MeSchema = z
  .object({
    tenant: z.string().openapi({ description: "The tenant whose runs this token sees." }),
    readOnly: z.boolean().openapi({
      description:
        "The token may read but not act: start, resume, restart, rerun, cancel, pause and delete answer 403.",
    }),
  })
  .openapi("Me");

export const ItemSchema = z
  .object({
    key: z.string(),
    index: z.number().int(),
    status: z.enum(ITEM_STATUSES),
    attempts: z.number().int(),
    output: JsonValue,
    error: StepErrorSchema.nullable(),
    startedAt: Millis,
    finishedAt: Millis,
    fromRunId: z.string().nullable().openapi({
      description:
        "The run that executed the item when this run reused it (a rerun); null when executed here.",
    }),
  })
  .openapi("Item", { description: "One settled item of a map step (items still to run have no record)." });

export const ItemPageSchema = z
  .object({
    items: z.array(ItemSchema),
    counts: z.record(z.enum(ITEM_STATUSES), z.number().int()).openapi({
      description: "Recorded items of the step by status (all of them, not only this page).",
    }),
    nextCursor: z.string().nullable(),
  })
  .openapi("ItemPage");

export const ItemDetailSchema = ItemSchema.extend({
  logs: z.array(LogLineSchema).openapi({ description: "The map step's log lines about this item." }),
}).openapi("ItemDetail");

/** What a bulk action did, or would do (`dryRun`), to each selected run. */
export const BulkReportSchema = z
  .object({
    action: z.enum(BULK_ACTIONS),
    dryRun: z.boolean(),
    runs: z.array(
      z.object({
        runId: z.string(),
        workflowId: z.string(),
        status: z.enum(RUN_STATUSES),
        steps: z.partialRecord(z.enum(PLAN_ACTIONS), z.number().int()).openapi({
          description:
            "Steps by what the action would do with them (resume: keep, retry, reset…; restart: run).",
        }),
        refusal: z.string().nullable().openapi({ description: "Why this run would be refused, or null." }),
      }),
    ),
    totals: z.object({
      runs: z.number().int(),
      refused: z.number().int(),
      execute: z
        .number()
        .int()
        .openapi({ description: "Steps that would execute, over the runs not refused." }),
      keep: z.number().int().openapi({ description: "Steps kept, over the runs not refused." }),
    }),
    results: z
      .array(
        z.object({
          runId: z.string(),
          ok: z.boolean(),
          status: z.enum(RUN_STATUSES).optional(),
          newRunId: z.string().optional().openapi({ description: "restart, rerun: the new run." }),
          error: z
            .object({ code: z.enum(API_ERROR_CODES as [string, ...string[]]), message: z.string() })
            .optional(),
        }),
      )
      .optional()
      .openapi({ description: "Per run, when executed: one refused run does not stop the others." }),
    more: z
      .boolean()
      .openapi({ description: "More runs match than `limit`: call again (it is safe to repeat)." }),
  })
  .openapi("BulkReport");

export const SignalResultSchema = z
  .object({
    accepted: z
      .boolean()
      .openapi({ description: "false: a signal with this key was sent before; nothing changed." }),
    wokeStep: z.string().nullable().openapi({
      description: "The step that waited for it, or null: no step waits yet and the signal is kept.",
    }),
  })
  .openapi("SignalResult");

export const ScheduleSchema = z
  .object({
    workflowId: z.string(),
    name: z.string(),
    cron: z.string().nullable().openapi({ description: "The cron expression, or null for `every`." }),
    timezone: z.string().nullable().openapi({ description: "The cron's IANA time zone (null: UTC)." }),
    everyMs: z.number().nullable().openapi({ description: "The interval in ms, or null for `cron`." }),
    missed: z
      .enum(["skip", "catch-up"])
      .openapi({ description: "What happens to ticks missed while no worker ran." }),
    input: JsonValue,
    paused: z.boolean(),
    nextTick: z
      .number()
      .nullable()
      .openapi({ description: "When the next run starts (ms since the epoch); null while paused." }),
    lastRunId: z
      .string()
      .nullable()
      .openapi({ description: "The run started at the latest tick that started one." }),
  })
  .openapi("Schedule");

export const ScheduleListSchema = z.object({ schedules: z.array(ScheduleSchema) }).openapi("ScheduleList");

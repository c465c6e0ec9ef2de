/** Response shapes of runs, their steps, logs, attempts (history) and events. */

import { z } from "@hono/zod-openapi";
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
import { JsonValue, Millis, StepErrorSchema } from "./common-schemas.js";

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
    workflowVersion: z.string().nullable().openapi({
      description:
        "The stored version the run executes, for a workflow stored as data (`PUT /api/workflows/{id}`); null for a workflow registered by the server (a file or code). Resume keeps it.",
      example: "3f9a1c0d2b7e4f61",
    }),
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
    callerRunId: z.string().nullable().openapi({
      description:
        "For a child run: the run whose step started it (ctx.runWorkflow, YAML run-workflow:) and waits for its result; null otherwise.",
    }),
    callerStepId: z.string().nullable().openapi({ description: "For a child run: that step's id." }),
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
    kind: z.enum(["sleep", "signal", "child"]),
    until: Millis.nullable().openapi({ description: "When it wakes (a signal's timeout); null: no end." }),
    signal: z.string().nullable().openapi({ description: "For kind signal: the signal's name." }),
    childRunId: z
      .string()
      .nullable()
      .openapi({ description: "For kind child: the child run whose end the step waits for." }),
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
    children: z
      .array(z.object({ id: z.string(), origin: z.enum(RUN_ORIGINS), status: z.enum(RUN_STATUSES) }))
      .openapi({ description: "Runs made from this one: its restarts and reruns." }),
    caller: z
      .object({ runId: z.string(), stepId: z.string() })
      .nullable()
      .openapi({ description: "For a child run: the run and step that started it and wait for it." }),
    childRuns: z
      .array(
        z.object({
          id: z.string(),
          workflowId: z.string(),
          stepId: z.string(),
          status: z.enum(RUN_STATUSES),
        }),
      )
      .openapi({ description: "Child runs the steps of this run started (ctx.runWorkflow), oldest first." }),
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

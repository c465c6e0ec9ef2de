/** Response shapes of run actions: resume and rerun plans, a resume's result, bulk reports, signals. */

import { z } from "@hono/zod-openapi";
import { PLAN_ACTIONS, STRATEGY_OPTIONS } from "../core/resume-plan.js";
import { ITEM_STATUSES, RERUN_REASONS, RUN_STATUSES, STEP_STATUSES } from "../core/types.js";
import { BULK_ACTIONS } from "../engine/bulk.js";
import { JsonValue } from "./common-schemas.js";
import { API_ERROR_CODES } from "./errors.js";
import { RunDetailSchema } from "./run-schemas.js";

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
    linkedRuns: z
      .array(z.object({ runId: z.string(), relation: z.enum(["child", "caller"]) }))
      .optional()
      .openapi({
        description:
          "For a resume: runs resumed with this one in the same transaction: its failed, cancelled, paused or interrupted child runs whose calling step has not succeeded (relation child), and the caller run a failed child run failed (relation caller).",
      }),
    versions: z
      .object({
        from: z
          .string()
          .nullable()
          .openapi({ description: "The stored version the source run executed (its `workflowVersion`)." }),
        to: z.string().nullable().openapi({ description: "The stored version the new run would execute." }),
      })
      .optional()
      .openapi({
        description:
          "For a rerun plan: the versions it compares, step by step (`changed`). null for a workflow registered from a file or code (compared with its current definition).",
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

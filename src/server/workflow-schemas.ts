/** Response shapes of workflows (their graphs, the latest failed run) and their schedules. */

import { z } from "@hono/zod-openapi";
import { JsonValue, Millis } from "./common-schemas.js";
import { RunSchema } from "./run-schemas.js";

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
    stored: z
      .object({
        version: z.string().openapi({ description: "The newest version, which a start uses by default." }),
        versionCount: z.number().int(),
      })
      .nullable()
      .openapi({
        description:
          "For a workflow the caller's tenant stored as data (`PUT /api/workflows/{id}`): its newest version, which this entry describes (`updatedAt`: when it was stored), and how many versions it has. null for a workflow registered by the server (a file or code).",
      }),
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

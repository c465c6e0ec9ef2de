import { z } from "zod";
import { ON_CHANGE } from "../core/resume-plan.js";

/**
 * The workflow definition format (YAML or JSON; docs/definitions.md) as a JSON Schema, for editors
 * and for builders that generate definitions. It describes the shape only: load-yaml.ts still checks
 * everything (step ids that exist, cron expressions, one kind per step) and locates each problem.
 * test/definition-schema.test.ts keeps its keys equal to the loader's and checks every example.
 */

const duration = z
  .union([z.string(), z.number().nonnegative()])
  .describe('A duration: "500ms", "30s", "10m", "24h", or a number of ms.');
const json = z.unknown().describe("Any JSON value.");
const env = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .describe("Environment variables for shell steps.");

const retry = z
  .strictObject({
    attempts: z.number().int().min(1),
    backoff: z
      .strictObject({ initial: duration.optional(), factor: z.number().optional(), max: duration.optional() })
      .optional(),
  })
  .describe("Retries: the total attempts and the wait between them.");

const map = z
  .strictObject({
    items: z.string().describe("The step (and field path) whose output is the list: `list.files`."),
    concurrency: z.number().int().min(1).optional(),
    key: z.string().optional().describe("The field of an item that identifies it across reruns."),
    maxFailures: z.number().int().min(0).optional(),
    retry: retry.optional(),
    timeout: duration.optional(),
  })
  .describe("Run `run` or `uses` once per item of a list an upstream step returned.");

const step = z
  .strictObject({
    id: z.string().describe("The step id (required)."),
    needs: z.array(z.string()).optional().describe("Upstream step ids; omitted: the step before it."),
    run: z.string().optional().describe("A shell command (sh -c), run in the run's directory."),
    uses: z.string().optional().describe("An action name (`http.request`) or `./file.ts#exportName`."),
    with: z
      .record(z.string(), json)
      .optional()
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Cairn's expression syntax, not a template
      .describe("The action's parameters; may hold ${{ }} expressions."),
    sleep: duration.optional().describe("A durable sleep."),
    until: z.string().optional().describe("An ISO 8601 time to sleep until."),
    wait: z
      .strictObject({
        signal: z.string(),
        timeout: duration.optional(),
        schema: json.optional(),
        default: json.optional(),
      })
      .optional()
      .describe("Wait for a signal; its data is the output."),
    "run-workflow": z
      .string()
      .optional()
      .describe("Start this workflow as a child run and wait for it; its output is the output."),
    input: json
      .optional()
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Cairn's expression syntax, not a template
      .describe("With run-workflow: the child run's input; may hold ${{ }} expressions."),
    map: map.optional(),
    retry: retry.optional(),
    timeout: duration.optional(),
    env: env.optional(),
    effects: z.enum(["idempotent", "non-idempotent"]).optional(),
    label: z.string().optional().describe("A human name shown by the UI."),
    outputs: z.array(z.string()).optional().describe("Files the step must leave in the run directory."),
  })
  .describe("One step: exactly one of run, uses, sleep, until, wait and run-workflow.");

const schedule = z.strictObject({
  name: z.string().optional(),
  cron: z.string().optional(),
  timezone: z.string().optional(),
  every: duration.optional(),
  input: json.optional(),
  missed: z.enum(["skip", "catch-up"]).optional(),
});

export const WorkflowDefinitionSchema = z
  .strictObject({
    id: z.string().describe("The workflow id (required)."),
    description: z.string().optional(),
    input: json.optional().describe("A JSON Schema for the run input, checked at start."),
    failFast: z.boolean().optional(),
    recovery: z.enum(["auto", "manual"]).optional(),
    maxRecoveries: z.number().int().min(0).max(100).optional(),
    secrets: z.array(z.string()).optional(),
    checkpointInterval: duration.optional(),
    timeout: duration.optional().describe("The run's deadline, from its start and each resume."),
    stepTimeout: duration.optional(),
    resume: z
      .strictObject({
        retryFailed: z.boolean().optional(),
        resetRunning: z.boolean().optional(),
        maxAttempts: z.number().int().min(1).optional(),
        onChange: z.enum(ON_CHANGE).optional(),
      })
      .optional(),
    schedules: z.array(schedule).optional(),
    env: env.optional(),
    steps: z.array(step).min(1),
  })
  .describe("A Cairn workflow definition (docs/definitions.md).");

/** The published JSON Schema (docs/workflow.schema.json, `cairn workflows schema`). */
export function workflowJsonSchema(): Record<string, unknown> {
  return {
    title: "Cairn workflow",
    ...z.toJSONSchema(WorkflowDefinitionSchema, { io: "input" }),
  };
}

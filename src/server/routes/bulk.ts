import { createRoute, z } from "@hono/zod-openapi";
import { ON_CHANGE } from "../../core/resume-plan.js";
import { RUN_STATUSES } from "../../core/types.js";
import { BULK_ACTIONS, bulkAction, MAX_BULK_RUNS } from "../../engine/bulk.js";
import { HttpError } from "../errors.js";
import { BulkReportSchema } from "../schemas.js";
import { type App, actorOf, BEARER, errors, json, jsonBody, type RouteContext } from "./common.js";

const Millis = z.number().int().openapi({ description: "Milliseconds since the Unix epoch." });

const BulkBody = z
  .strictObject({
    filter: z
      .strictObject({
        status: z.enum(RUN_STATUSES).optional().openapi({
          description: "As shown by GET /api/runs: `interrupted` includes running runs whose owner died.",
        }),
        workflow: z.string().min(1).max(128).optional(),
        createdAfter: Millis.optional(),
        createdBefore: Millis.optional(),
        errorContains: z
          .string()
          .min(1)
          .max(500)
          .optional()
          .openapi({ description: "The run's error message contains this (case-insensitive)." }),
      })
      .optional(),
    ids: z.array(z.string().min(1).max(128)).min(1).max(MAX_BULK_RUNS).optional(),
    dryRun: z.boolean().optional().openapi({ description: "Return the combined plan; change nothing." }),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_BULK_RUNS)
      .optional()
      .openapi({
        description: `Runs per call (default 100, at most ${MAX_BULK_RUNS}); \`more\` says when to call again.`,
      }),
    resume: z
      .strictObject({
        retryFailed: z.boolean().optional(),
        resetRunning: z.boolean().optional(),
        onChange: z.enum(ON_CHANGE).optional(),
        maxAttempts: z.number().int().min(1).max(100).optional(),
        resetAttempts: z.boolean().optional(),
      })
      .optional()
      .openapi({ description: "For `resume`: the strategy applied to every run, as for one run." }),
  })
  .openapi("BulkRequest", {
    description: "Select runs with `filter` and/or `ids` (at least one condition); oldest first.",
  });

const bulk = createRoute({
  method: "post",
  path: "/api/runs/bulk/{action}",
  operationId: "bulkRunAction",
  tags: ["actions"],
  summary: "Resume, restart, rerun (failed steps) or cancel many runs with one combined plan",
  description:
    "Selects the tenant's runs by filter and/or ids (oldest first, at most `limit`). With `dryRun`, returns what would happen to each run (step counts, refusals and why) and totals. Otherwise applies the action run by run, each with its own compare-and-set, and reports each run's result; the response is 200 even when some runs were refused. `rerun` makes a new run of each, executing its failed steps and their downstream and reusing the rest. A run that `restart` or `rerun` already remade (into a run that did not fail and was not cancelled) is refused, so repeating a call makes nothing twice. Runs needing secrets are refused (a bulk request carries none).",
  security: BEARER,
  request: {
    params: z.object({
      action: z.enum(BULK_ACTIONS).openapi({ param: { name: "action", in: "path" }, example: "resume" }),
    }),
    body: jsonBody(BulkBody, true),
  },
  responses: {
    200: json(BulkReportSchema, "The combined plan, and the per-run results when executed."),
    ...errors(400, 401, 403, 404, 413, 415, 422),
  },
});

export function registerBulkRoutes(app: App, { cairn }: RouteContext): void {
  app.openapi(bulk, async (c) => {
    const { action } = c.req.valid("param");
    const body = c.req.valid("json");
    const f = body.filter ?? {};
    if (body.ids === undefined && Object.values(f).every((v) => v === undefined))
      throw new HttpError(
        "BAD_REQUEST",
        "Select runs with a filter (status, workflow, time range, error text) or ids.",
      );
    const principal = c.get("principal");
    const report = await bulkAction(cairn, {
      action,
      filter: {
        tenant: principal.tenant,
        ...(body.ids ? { ids: body.ids } : {}),
        ...(f.status ? { status: f.status } : {}),
        ...(f.workflow ? { workflowId: f.workflow } : {}),
        ...(f.createdAfter !== undefined ? { createdAfter: f.createdAfter } : {}),
        ...(f.createdBefore !== undefined ? { createdBefore: f.createdBefore } : {}),
        ...(f.errorContains ? { errorContains: f.errorContains } : {}),
      },
      dryRun: body.dryRun === true,
      ...(body.limit !== undefined ? { limit: body.limit } : {}),
      ...(body.resume ? { resume: body.resume } : {}),
      ...actorOf(principal),
    });
    return c.json(report, 200);
  });
}

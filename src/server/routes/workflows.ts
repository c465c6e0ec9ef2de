import { createRoute, z } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import { WorkflowIdParams } from "../requests.js";
import { LatestFailedSchema, RunAttemptSchema, WorkflowListSchema, WorkflowSchema } from "../schemas.js";
import { runView, workflowSummaryView, workflowView } from "../views.js";
import { type App, BEARER, errors, json, type RouteContext } from "./common.js";

const listWorkflows = createRoute({
  method: "get",
  path: "/api/workflows",
  operationId: "listWorkflows",
  tags: ["workflows"],
  summary: "List registered workflows and the caller's tenant's stored ones",
  description:
    "Every workflow the server registered (a file or code) and every workflow the caller's tenant stored as data (`PUT /api/workflows/{id}`), by id; a stored one is described by its newest version and carries `stored`. An id both registered and stored is listed once, as registered: that is what a start without `version` runs.",
  security: BEARER,
  responses: {
    200: json(WorkflowListSchema, "Every registered and stored workflow, by id."),
    ...errors(401),
  },
});

const getWorkflow = createRoute({
  method: "get",
  path: "/api/workflows/{id}",
  operationId: "getWorkflow",
  tags: ["workflows"],
  summary: "A workflow's graph: steps, needs, labels",
  description:
    "A workflow registered by the server; otherwise the newest version the caller's tenant stored as data (with `stored`). 404 when it is neither.",
  security: BEARER,
  request: { params: WorkflowIdParams },
  responses: { 200: json(WorkflowSchema, "The workflow."), ...errors(400, 401, 404) },
});

const latestFailed = createRoute({
  method: "get",
  path: "/api/workflows/{id}/latest-failed",
  operationId: "getLatestFailedRun",
  tags: ["workflows"],
  summary: "The latest failed run of a workflow and its failed steps",
  description:
    "The newest failed run (of the caller's tenant) that its lineage has not healed: a failed run is skipped once a run of the same lineage (a rerun, a restart, or the resume of one of them) succeeded after it started. Failed steps come in the workflow's topological order, then by id, with labels and the first line of each error. 404 when there is no such run.",
  security: BEARER,
  request: { params: WorkflowIdParams },
  responses: { 200: json(LatestFailedSchema, "The run and its failed steps."), ...errors(400, 401, 404) },
});

const WorkflowHistorySchema = z
  .object({
    attempts: z.array(RunAttemptSchema.extend({ runId: z.string() })),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next (older) page; null on the last page." }),
  })
  .openapi("WorkflowHistory");

const history = createRoute({
  method: "get",
  path: "/api/workflows/{id}/history",
  operationId: "listWorkflowHistory",
  tags: ["workflows"],
  summary: "Every start and resume of the workflow's runs, newest first",
  description: "Of the caller's tenant's runs. Cursor pagination, as for runs.",
  security: BEARER,
  request: {
    params: WorkflowIdParams,
    query: z.strictObject({
      limit: z
        .string()
        .regex(/^\d{1,4}$/)
        .transform(Number)
        .pipe(z.number().int().min(1).max(500))
        .optional()
        .openapi({ type: "integer", minimum: 1, maximum: 500, description: "Page size (default 50)." }),
      cursor: z
        .string()
        .min(1)
        .max(500)
        .optional()
        .openapi({ description: "`nextCursor` of the previous page." }),
    }),
  },
  responses: { 200: json(WorkflowHistorySchema, "One page of run attempts."), ...errors(400, 401, 404, 422) },
});

export function registerWorkflowRoutes(app: App, { cairn }: RouteContext): void {
  /** A workflow registered by the server, or else one the tenant stored; NOT_FOUND when neither. */
  const known = async (id: string, tenant: string) => {
    const record = await cairn.workflow(id);
    if (record) return workflowView(record);
    const stored = await cairn.storedWorkflow(id, tenant);
    if (!stored) throw new CairnError("NOT_FOUND", `Workflow "${id}" is not registered.`);
    return workflowView(stored.workflow, { version: stored.version, versionCount: stored.versionCount });
  };

  app.openapi(history, async (c) => {
    const { id } = c.req.valid("param");
    const q = c.req.valid("query");
    await known(id, c.get("principal").tenant);
    const page = await cairn.workflowHistory({
      workflowId: id,
      tenant: c.get("principal").tenant,
      limit: q.limit ?? 50,
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return c.json(page, 200);
  });

  app.openapi(listWorkflows, async (c) => {
    const registered = (await cairn.workflows()).map((w) => workflowSummaryView(w));
    const ids = new Set(registered.map((w) => w.id));
    const stored = (await cairn.storedWorkflows(c.get("principal").tenant))
      .filter((s) => !ids.has(s.workflow.id))
      .map((s) => workflowSummaryView(s.workflow, { version: s.version, versionCount: s.versionCount }));
    const workflows = [...registered, ...stored].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return c.json({ workflows }, 200);
  });

  app.openapi(getWorkflow, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await known(id, c.get("principal").tenant), 200);
  });

  app.openapi(latestFailed, async (c) => {
    const { id } = c.req.valid("param");
    await known(id, c.get("principal").tenant);
    const latest = await cairn.latestFailed(id, c.get("principal").tenant);
    if (!latest) throw new CairnError("NOT_FOUND", `Workflow "${id}" has no failed run left to fix.`);
    return c.json({ run: runView(latest.run), failed: latest.failed }, 200);
  });
}

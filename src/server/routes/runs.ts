import { createRoute } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import { HttpError } from "../errors.js";
import { encodeCursor, ListRunsQuery, PlanQuery, RunIdParams, StepParams } from "../requests.js";
import {
  HistorySchema,
  ResumePlanResponseSchema,
  RunDetailSchema,
  RunPageSchema,
  StepDetailSchema,
} from "../schemas.js";
import { attemptView, labelsOf, runView, stepDetailView } from "../views.js";
import { type App, BEARER, errors, json, ownRun, type RouteContext, runDetail } from "./common.js";

const listRuns = createRoute({
  method: "get",
  path: "/api/runs",
  operationId: "listRuns",
  tags: ["runs"],
  summary: "List the tenant's runs, newest first",
  description:
    "Cursor pagination: pass `nextCursor` as `cursor` (with the same filters) for the next page. Filters combine: every one given must hold. A run recorded as running whose owner died is shown as interrupted. `eventSeq` is where to start following `GET /api/events` to keep the page up to date.",
  security: BEARER,
  request: { query: ListRunsQuery },
  responses: { 200: json(RunPageSchema, "One page of runs."), ...errors(400, 401) },
});

const getRun = createRoute({
  method: "get",
  path: "/api/runs/{id}",
  operationId: "getRun",
  tags: ["runs"],
  summary: "A run with its steps, lineage and attempt",
  security: BEARER,
  request: { params: RunIdParams },
  responses: { 200: json(RunDetailSchema, "The run."), ...errors(400, 401, 404) },
});

const getStep = createRoute({
  method: "get",
  path: "/api/runs/{id}/steps/{stepId}",
  operationId: "getStep",
  tags: ["runs"],
  summary: "One step of a run with its logs, checkpoint and error",
  security: BEARER,
  request: { params: StepParams },
  responses: { 200: json(StepDetailSchema, "The step."), ...errors(400, 401, 404) },
});

const history = createRoute({
  method: "get",
  path: "/api/runs/{id}/history",
  operationId: "getRunHistory",
  tags: ["runs"],
  summary: "Every start and resume of a run: when, who, strategy, outcome",
  security: BEARER,
  request: { params: RunIdParams },
  responses: { 200: json(HistorySchema, "The run attempts, oldest first."), ...errors(400, 401, 404) },
});

const resumePlan = createRoute({
  method: "get",
  path: "/api/runs/{id}/resume-plan",
  operationId: "getResumePlan",
  tags: ["actions"],
  summary: "What resume would do with every step, and why (a dry run)",
  description:
    "Takes the resume options as query parameters and changes nothing. Secrets are not checked here (they are never sent in a URL); `secretsNeeded` lists the names the resume request must carry.",
  security: BEARER,
  request: { params: RunIdParams, query: PlanQuery },
  responses: { 200: json(ResumePlanResponseSchema, "The plan."), ...errors(400, 401, 404, 409, 422) },
});

export function registerRunRoutes(app: App, { cairn }: RouteContext): void {
  app.openapi(listRuns, async (c) => {
    const q = c.req.valid("query");
    if (q.createdAfter !== undefined && q.createdBefore !== undefined && q.createdAfter >= q.createdBefore)
      throw new HttpError("BAD_REQUEST", "createdAfter must be earlier than createdBefore.");
    // Read before the runs: a change committed in between is both listed and streamed, never neither.
    const eventSeq = await cairn.latestEventSeq();
    const { runs, next } = await cairn.listShown({
      tenant: c.get("principal").tenant,
      ...(q.status ? { statuses: q.status } : {}),
      ...(q.workflow ? { workflowId: q.workflow } : {}),
      ...(q.idPrefix ? { idPrefix: q.idPrefix } : {}),
      ...(q.createdAfter !== undefined ? { createdAfter: q.createdAfter } : {}),
      ...(q.createdBefore !== undefined ? { createdBefore: q.createdBefore } : {}),
      ...(q.cursor ? { before: q.cursor } : {}),
      limit: q.limit ?? 50,
    });
    return c.json({ runs: runs.map(runView), nextCursor: next && encodeCursor(next), eventSeq }, 200);
  });

  app.openapi(getRun, async (c) => {
    const { id } = c.req.valid("param");
    await ownRun(cairn, c.get("principal"), id);
    return c.json(await runDetail(cairn, id), 200);
  });

  app.openapi(getStep, async (c) => {
    const { id, stepId } = c.req.valid("param");
    const run = await ownRun(cairn, c.get("principal"), id);
    const [step] = await cairn.steps(id, [stepId]);
    if (!step) throw new CairnError("NOT_FOUND", `Run "${id}" has no step "${stepId}".`);
    const [logs, workflow, memos, items] = await Promise.all([
      cairn.logs(id, stepId),
      cairn.workflow(run.workflowId),
      cairn.memos(id, stepId),
      cairn.mapItems(id),
    ]);
    const counts = new Map(items.map((i) => [i.stepId, i.counts]));
    return c.json(stepDetailView(step, labelsOf(workflow), logs, memos, counts), 200);
  });

  app.openapi(history, async (c) => {
    const { id } = c.req.valid("param");
    await ownRun(cairn, c.get("principal"), id);
    return c.json({ attempts: (await cairn.history(id)).map(attemptView) }, 200);
  });

  app.openapi(resumePlan, async (c) => {
    const { id } = c.req.valid("param");
    const run = await ownRun(cairn, c.get("principal"), id);
    // The plan needs only the names of the secrets a resume would bring.
    const names = Object.fromEntries(run.secretNames.map((name) => [name, ""]));
    const { markDone, ...options } = c.req.valid("query");
    const plan = await cairn.resumePlan(id, {
      ...options,
      ...(markDone ? { markDone: { stepId: markDone, output: null } } : {}),
      secrets: names,
    });
    return c.json({ ...plan, secretsNeeded: run.secretNames }, 200);
  });
}

import { createRoute } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import type { ResumeOptions } from "../../core/resume-plan.js";
import type { Json } from "../../core/types.js";
import { EmptyBody, RerunBody, RerunPlanQuery, RestartBody, ResumeBody, RunIdParams } from "../requests.js";
import { PlanSchema, ResumeResultSchema, RunDetailSchema, RunSchema } from "../schemas.js";
import { runView } from "../views.js";
import {
  type App,
  actorOf,
  BEARER,
  errors,
  json,
  jsonBody,
  ownRun,
  type RouteContext,
  runDetail,
} from "./common.js";

const ACTION_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422);

const resume = createRoute({
  method: "post",
  path: "/api/runs/{id}/resume",
  operationId: "resumeRun",
  tags: ["actions"],
  summary: "Continue a failed, cancelled, paused or interrupted run in place",
  description:
    "Keeps what succeeded and executes what did not, with the workflow's current definition (for a workflow stored as data: the run's own version, whatever was stored since). 409 when the run succeeded, is still running, or another resume won the race. The body may be omitted.",
  security: BEARER,
  request: { params: RunIdParams, body: jsonBody(ResumeBody, false) },
  responses: {
    200: json(ResumeResultSchema, "The resumed run and the plan that was applied."),
    ...ACTION_ERRORS,
  },
});

const restart = createRoute({
  method: "post",
  path: "/api/runs/{id}/restart",
  operationId: "restartRun",
  tags: ["actions"],
  summary: "A new run of the same workflow and input, from scratch",
  security: BEARER,
  request: { params: RunIdParams, body: jsonBody(RestartBody, false) },
  responses: { 201: json(RunDetailSchema, "The new run."), ...ACTION_ERRORS },
});

const rerun = createRoute({
  method: "post",
  path: "/api/runs/{id}/rerun",
  operationId: "rerunRun",
  tags: ["actions"],
  summary: "A new run executing chosen (or all failed) steps and their downstream, reusing the rest",
  security: BEARER,
  request: { params: RunIdParams, body: jsonBody(RerunBody, true) },
  responses: { 201: json(RunDetailSchema, "The new run."), ...ACTION_ERRORS },
});

const rerunPlan = createRoute({
  method: "get",
  path: "/api/runs/{id}/rerun-plan",
  operationId: "getRerunPlan",
  tags: ["actions"],
  summary: "What a rerun would execute and reuse (from which run), and why (a dry run)",
  description:
    "Takes `failed=true` or `from=a,b` and `onChange` as query parameters; starts nothing. A plan with a `refusal` is one the rerun request would refuse with 422.",
  security: BEARER,
  request: { params: RunIdParams, query: RerunPlanQuery },
  responses: { 200: json(PlanSchema, "The plan."), ...errors(400, 401, 404, 409, 422) },
});

const cancel = createRoute({
  method: "post",
  path: "/api/runs/{id}/cancel",
  operationId: "cancelRun",
  tags: ["actions"],
  summary: "Cancel a run: no new steps; running steps are aborted",
  security: BEARER,
  request: { params: RunIdParams, body: jsonBody(EmptyBody, false) },
  responses: { 200: json(RunSchema, "The cancelled run."), ...ACTION_ERRORS },
});

const pause = createRoute({
  method: "post",
  path: "/api/runs/{id}/pause",
  operationId: "pauseRun",
  tags: ["actions"],
  summary: "Pause a run: no new steps; running ones finish",
  security: BEARER,
  request: { params: RunIdParams, body: jsonBody(EmptyBody, false) },
  responses: { 200: json(RunSchema, "The paused run."), ...ACTION_ERRORS },
});

export function registerActionRoutes(app: App, { cairn }: RouteContext): void {
  app.openapi(resume, async (c) => {
    const { id } = c.req.valid("param");
    const principal = c.get("principal");
    await ownRun(cairn, principal, id);
    const { markDone, ...body } = c.req.valid("json");
    const options: ResumeOptions & { secrets?: Record<string, string>; timeout?: string | number } = {
      ...body,
      ...(markDone
        ? { markDone: { stepId: markDone.stepId, output: (markDone.output ?? null) as Json } }
        : {}),
    };
    const handle = await cairn.resume(id, { ...options, ...actorOf(principal) });
    return c.json({ run: await runDetail(cairn, handle.id), plan: handle.plan }, 200);
  });

  app.openapi(restart, async (c) => {
    const { id } = c.req.valid("param");
    const principal = c.get("principal");
    await ownRun(cairn, principal, id);
    const handle = await cairn.restart(id, { ...c.req.valid("json"), ...actorOf(principal) });
    return c.json(await runDetail(cairn, handle.id), 201);
  });

  app.openapi(rerun, async (c) => {
    const { id } = c.req.valid("param");
    const principal = c.get("principal");
    await ownRun(cairn, principal, id);
    const { secrets, onChange, version, ...selection } = c.req.valid("json");
    const handle = await cairn.rerun(
      id,
      "failed" in selection
        ? { failed: true }
        : { from: selection.from, ...(selection.items ? { items: selection.items } : {}) },
      {
        ...(secrets ? { secrets } : {}),
        ...(onChange ? { onChange } : {}),
        ...(version !== undefined ? { version } : {}),
        ...actorOf(principal),
      },
    );
    return c.json(await runDetail(cairn, handle.id), 201);
  });

  app.openapi(rerunPlan, async (c) => {
    const { id } = c.req.valid("param");
    await ownRun(cairn, c.get("principal"), id);
    const { from, failed, items, onChange, version } = c.req.valid("query");
    if ((from === undefined) === (failed === undefined))
      throw new CairnError("USAGE", "Pass exactly one of failed=true or from=STEP[,STEP…].");
    if (items !== undefined && from === undefined)
      throw new CairnError("USAGE", "items=KEY[,KEY…] needs from=MAP_STEP.");
    const selection = failed
      ? { failed: true as const }
      : { from: commaList(from!), ...(items !== undefined ? { items: commaList(items) } : {}) };
    const options = { ...(onChange ? { onChange } : {}), ...(version !== undefined ? { version } : {}) };
    return c.json(await cairn.rerunPlan(id, selection, options), 200);
  });

  app.openapi(cancel, async (c) => {
    const { id } = c.req.valid("param");
    const principal = c.get("principal");
    await ownRun(cairn, principal, id);
    return c.json(runView(await cairn.cancel(id, actorOf(principal))), 200);
  });

  app.openapi(pause, async (c) => {
    const { id } = c.req.valid("param");
    const principal = c.get("principal");
    await ownRun(cairn, principal, id);
    return c.json(runView(await cairn.pause(id, actorOf(principal))), 200);
  });
}

function commaList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

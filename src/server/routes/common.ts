import type { OpenAPIHono, z } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import type { RunRecord } from "../../core/types.js";
import type { CairnClient } from "../../engine/client.js";
import type { AppEnv, Principal } from "../auth.js";
import type { ResolvedAppOptions } from "../options.js";
import { ErrorSchema } from "../schemas.js";
import { labelsOf, runDetailView } from "../views.js";

export type App = OpenAPIHono<AppEnv>;

/** What every route module gets: the client API and the resolved server options. */
export interface RouteContext {
  readonly cairn: CairnClient;
  readonly options: ResolvedAppOptions;
}

/** Every /api route needs a bearer token (see auth.ts). */
export const BEARER = [{ bearerAuth: [] }];

const ERROR_DESCRIPTIONS = {
  400: "Malformed request: bad JSON, wrong types, unknown fields or parameters.",
  401: "Missing, unknown or revoked bearer token.",
  403: "The token is read-only.",
  404: "No such id, or it belongs to another tenant (the same answer either way).",
  409: "The run's state forbids the action; `details.status` is its current status.",
  413: "The request body is over the server's limit.",
  415: "The request body is not JSON.",
  422: "Semantically invalid: unknown step ids, input failing the workflow's schema, missing secrets.",
} as const;

/** The error responses of a route, all with the one error shape. */
export function errors<S extends keyof typeof ERROR_DESCRIPTIONS>(...statuses: S[]) {
  const out = {} as Record<
    S,
    { description: string; content: { "application/json": { schema: typeof ErrorSchema } } }
  >;
  for (const s of statuses)
    out[s] = { description: ERROR_DESCRIPTIONS[s], content: { "application/json": { schema: ErrorSchema } } };
  return out;
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** A JSON request body; optional ones may be omitted entirely (no Content-Type, no body). */
export function jsonBody<T extends z.ZodType>(schema: T, required: boolean) {
  return { required, content: { "application/json": { schema } } };
}

/**
 * The run, if it exists and belongs to the caller's tenant. Another tenant's run gets exactly the
 * answer a non-existent id gets, so ids cannot be probed across tenants.
 */
export async function ownRun(cairn: CairnClient, principal: Principal, runId: string): Promise<RunRecord> {
  const run = await cairn.run(runId);
  if (!run || run.tenant !== principal.tenant)
    throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  return run;
}

/** A run with its steps (labelled), lineage and liveness, as `GET /api/runs/{id}` shows it. */
export async function runDetail(cairn: CairnClient, runId: string) {
  const view = await cairn.get(runId);
  if (!view) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  const parent = view.run.parentRunId;
  const [children, childRuns, workflow, deleted, items] = await Promise.all([
    cairn.childRuns(runId),
    cairn.runsCalledBy(runId),
    cairn.workflow(view.run.workflowId),
    parent ? cairn.deletedRuns([parent]) : [],
    cairn.mapItems(runId),
  ]);
  return runDetailView(view, {
    children,
    childRuns,
    labels: labelsOf(workflow),
    items: new Map(items.map((i) => [i.stepId, i.counts])),
    parentDeleted: deleted.length > 0,
  });
}

/** Who asked, as recorded in a run's history and in cancel/pause reasons. */
export function actorOf(principal: Principal): { actor?: string } {
  return principal.tokenId ? { actor: principal.tokenId } : {};
}

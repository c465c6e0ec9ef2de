import { createRoute } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import { StartRunBody, WorkflowIdParams } from "../requests.js";
import { RunDetailSchema } from "../schemas.js";
import { type App, actorOf, BEARER, errors, json, jsonBody, type RouteContext, runDetail } from "./common.js";

const startRun = createRoute({
  method: "post",
  path: "/api/workflows/{id}/runs",
  operationId: "startRun",
  tags: ["actions"],
  summary: "Start a run",
  description:
    "201 with the new run. With a `runId` that already exists (for this tenant and workflow) the existing run is returned with 200 and nothing starts; a `runId` taken by another workflow or tenant is a 409.",
  security: BEARER,
  request: { params: WorkflowIdParams, body: jsonBody(StartRunBody, true) },
  responses: {
    201: json(RunDetailSchema, "The new run."),
    200: json(RunDetailSchema, "The run that already had this `runId`."),
    ...errors(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

/**
 * Starts with the same `runId` are serialised in this process so that exactly one of them answers
 * 201. (Across processes the store still never creates a second run; both may then answer 201.)
 */
class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.#tails.set(key, next);
    const clear = () => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    };
    next.then(clear, clear);
    return next;
  }
}

export function registerStartRoute(app: App, { cairn }: RouteContext): void {
  const queue = new KeyedQueue();

  app.openapi(startRun, async (c) => {
    const { id: workflowId } = c.req.valid("param");
    const body = c.req.valid("json");
    const principal = c.get("principal");
    const start = async (): Promise<{ runId: string; created: boolean }> => {
      if (body.runId !== undefined) {
        const existing = await cairn.run(body.runId);
        if (existing && existing.tenant === principal.tenant && existing.workflowId === workflowId)
          return { runId: existing.id, created: false };
        if (existing)
          throw new CairnError("CONFLICT", `Run id "${body.runId}" is already taken; choose another.`, {
            details: { runId: body.runId },
          });
      }
      const handle = await cairn.start(workflowId, body.input ?? {}, {
        ...(body.runId !== undefined ? { runId: body.runId } : {}),
        ...(body.secrets ? { secrets: body.secrets } : {}),
        ...(body.timeout !== undefined ? { timeout: body.timeout } : {}),
        ...(body.version !== undefined ? { version: body.version } : {}),
        tenant: principal.tenant,
        ...actorOf(principal),
      });
      return { runId: handle.id, created: true };
    };
    const { runId, created } = body.runId === undefined ? await start() : await queue.run(body.runId, start);
    const detail = await runDetail(cairn, runId);
    return created ? c.json(detail, 201) : c.json(detail, 200);
  });
}

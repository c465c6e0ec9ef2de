import { createRoute } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import type { ItemRecord } from "../../core/types.js";
import type { CairnClient } from "../../engine/client.js";
import { ItemParams, ItemsQuery, StepParams } from "../requests.js";
import { ItemDetailSchema, ItemPageSchema } from "../schemas.js";
import { type App, BEARER, errors, json, ownRun, type RouteContext } from "./common.js";

const listItems = createRoute({
  method: "get",
  path: "/api/runs/{id}/steps/{stepId}/items",
  operationId: "listItems",
  tags: ["runs"],
  summary: "A map step's recorded items, in item order",
  description:
    "Only settled items have a record (succeeded or failed); filter by `status`, and pass `nextCursor` as `cursor` for the next page. A step that is not a map has no items.",
  security: BEARER,
  request: { params: StepParams, query: ItemsQuery },
  responses: { 200: json(ItemPageSchema, "One page of items."), ...errors(400, 401, 404) },
});

const getItem = createRoute({
  method: "get",
  path: "/api/runs/{id}/steps/{stepId}/items/{key}",
  operationId: "getItem",
  tags: ["runs"],
  summary: "One item of a map step: output, error, attempts and its log lines",
  security: BEARER,
  request: { params: ItemParams },
  responses: { 200: json(ItemDetailSchema, "The item."), ...errors(400, 401, 404) },
});

export function registerItemRoutes(app: App, { cairn }: RouteContext): void {
  app.openapi(listItems, async (c) => {
    const { id, stepId } = c.req.valid("param");
    const q = c.req.valid("query");
    await ownStep(cairn, c.get("principal"), id, stepId);
    const limit = q.limit ?? 100;
    const [items, summaries] = await Promise.all([
      cairn.items(id, stepId, {
        limit,
        ...(q.status ? { status: q.status } : {}),
        ...(q.cursor !== undefined ? { afterIndex: q.cursor } : {}),
      }),
      cairn.mapItems(id),
    ]);
    const counts = summaries.find((s) => s.stepId === stepId)?.counts ?? { succeeded: 0, failed: 0 };
    const last = items.at(-1);
    const nextCursor = items.length === limit && last ? String(last.index) : null;
    return c.json({ items: items.map(itemView), counts, nextCursor }, 200);
  });

  app.openapi(getItem, async (c) => {
    const { id, stepId, key } = c.req.valid("param");
    await ownStep(cairn, c.get("principal"), id, stepId);
    const found = await cairn.item(id, stepId, key);
    if (!found)
      throw new CairnError("NOT_FOUND", `Step "${stepId}" of run "${id}" has no recorded item "${key}".`);
    const logs = found.logs.map((l) => ({ attempt: l.attempt, at: l.at, stream: l.stream, line: l.line }));
    return c.json({ ...itemView(found.item), logs }, 200);
  });
}

async function ownStep(
  cairn: CairnClient,
  principal: Parameters<typeof ownRun>[1],
  runId: string,
  stepId: string,
): Promise<void> {
  await ownRun(cairn, principal, runId);
  const [step] = await cairn.steps(runId, [stepId], { outputs: false });
  if (!step) throw new CairnError("NOT_FOUND", `Run "${runId}" has no step "${stepId}".`);
}

function itemView(item: ItemRecord) {
  return {
    key: item.key,
    index: item.index,
    status: item.status,
    attempts: item.attempts,
    output: item.output,
    error: item.error
      ? { message: item.error.message, ...(item.error.code ? { code: item.error.code } : {}) }
      : null,
    startedAt: item.startedAt,
    finishedAt: item.finishedAt,
    fromRunId: item.fromRunId,
  };
}

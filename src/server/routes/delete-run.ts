import { createRoute, z } from "@hono/zod-openapi";
import { RUN_STATUSES } from "../../core/types.js";
import { RunIdParams } from "../requests.js";
import { type App, BEARER, errors, json, type RouteContext } from "./common.js";

export const DeletedRunSchema = z
  .object({
    deleted: z.object({
      id: z.string(),
      workflowId: z.string(),
      status: z.enum(RUN_STATUSES),
      finishedAt: z.number().int().nullable(),
      bytes: z.number().int().openapi({ description: "Bytes of the run's directory that were freed." }),
    }),
  })
  .openapi("DeletedRun");

const deleteRun = createRoute({
  method: "delete",
  path: "/api/runs/{id}",
  operationId: "deleteRun",
  tags: ["actions"],
  summary: "Delete a finished run: its steps, events, memos, logs, history and working directory",
  description:
    "409 when the run is not finished (running or paused: cancel it first). Runs made from it (restarts, reruns) keep working; their lineage shows it as deleted. The same rules applied in bulk and periodically: `cairn gc` and `cairn serve --gc-older-than`.",
  security: BEARER,
  request: { params: RunIdParams },
  responses: { 200: json(DeletedRunSchema, "The run is gone."), ...errors(400, 401, 403, 404, 409) },
});

export function registerDeleteRunRoute(app: App, { cairn }: RouteContext): void {
  app.openapi(deleteRun, async (c) => {
    const { id } = c.req.valid("param");
    const deleted = await cairn.deleteRun(id, { tenant: c.get("principal").tenant });
    return c.json({ deleted }, 200);
  });
}

import { createRoute, z } from "@hono/zod-openapi";
import { Id } from "../requests.js";
import { ScheduleListSchema, ScheduleSchema } from "../schemas.js";
import { type App, BEARER, errors, json, jsonBody, type RouteContext } from "./common.js";

const ScheduleParams = z.object({
  workflow: Id.openapi({
    param: { name: "workflow", in: "path" },
    description: "Workflow id.",
    example: "cleanup",
  }),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .openapi({ param: { name: "name", in: "path" }, description: "Schedule name.", example: "hourly" }),
});

const listSchedules = createRoute({
  method: "get",
  path: "/api/schedules",
  operationId: "listSchedules",
  tags: ["workflows"],
  summary: "The schedules of the caller's tenant, with their next tick",
  description:
    "Recorded when a worker or `cairn serve` registers a workflow that declares schedules; those processes start one run per tick.",
  security: BEARER,
  responses: { 200: json(ScheduleListSchema, "Schedules by workflow id and name."), ...errors(401) },
});

function action(verb: "pause" | "resume") {
  return createRoute({
    method: "post",
    path: `/api/schedules/{workflow}/{name}/${verb}`,
    operationId: `${verb}Schedule`,
    tags: ["actions"],
    summary:
      verb === "pause"
        ? "Pause a schedule: no run starts at its ticks"
        : "Resume a paused schedule: runs start again from its next tick",
    description:
      verb === "pause"
        ? "Pausing a paused schedule changes nothing."
        : "The ticks that passed during the pause start nothing. Resuming a running schedule changes nothing.",
    security: BEARER,
    request: { params: ScheduleParams, body: jsonBody(z.strictObject({}).openapi("ScheduleAction"), false) },
    responses: {
      200: json(ScheduleSchema, "The schedule as it is now."),
      ...errors(400, 401, 403, 404, 413, 415, 422),
    },
  });
}

export function registerScheduleRoutes(app: App, { cairn }: RouteContext): void {
  app.openapi(listSchedules, async (c) => {
    const schedules = await cairn.schedules({ tenant: c.get("principal").tenant });
    return c.json({ schedules: schedules.map(({ tenant: _, ...s }) => s) }, 200);
  });
  for (const verb of ["pause", "resume"] as const)
    app.openapi(action(verb), async (c) => {
      const { workflow, name } = c.req.valid("param");
      const options = { tenant: c.get("principal").tenant };
      const [changed] =
        verb === "pause"
          ? await cairn.pauseSchedule(workflow, name, options)
          : await cairn.resumeSchedule(workflow, name, options);
      const { tenant: _, ...view } = changed!;
      return c.json(view, 200);
    });
}

import { createRoute } from "@hono/zod-openapi";
import { MeSchema } from "../schemas.js";
import { type App, BEARER, errors, json } from "./common.js";

const getMe = createRoute({
  method: "get",
  path: "/api/me",
  operationId: "getMe",
  tags: ["system"],
  summary: "What the caller's token may do: its tenant and whether it is read-only",
  description:
    "Lets a client (the web UI) disable the actions a read-only token cannot take, with the reason, instead of offering them and answering 403.",
  security: BEARER,
  responses: { 200: json(MeSchema, "The token's scope."), ...errors(400, 401) },
});

export function registerMeRoute(app: App): void {
  app.openapi(getMe, (c) => {
    const { tenant, readOnly } = c.get("principal");
    return c.json({ tenant, readOnly }, 200);
  });
}

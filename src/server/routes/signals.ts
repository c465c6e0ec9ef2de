import { createRoute, z } from "@hono/zod-openapi";
import type { Json } from "../../core/types.js";
import { Id } from "../requests.js";
import { JsonValue, SignalResultSchema } from "../schemas.js";
import { type App, actorOf, BEARER, errors, json, jsonBody, ownRun, type RouteContext } from "./common.js";

const SignalParams = z.object({
  id: Id.openapi({ param: { name: "id", in: "path" }, description: "Run id.", example: "run_0m3k2a1bc4Xy9" }),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
    .openapi({ param: { name: "name", in: "path" }, description: "Signal name.", example: "approve" }),
});

const SignalBody = z
  .strictObject({
    data: JsonValue.optional().openapi({ description: "The signal's data (null when omitted)." }),
    key: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .openapi({ description: "Idempotency key: a repeated send with the same key is accepted once." }),
  })
  .openapi("SignalRequest");

const signal = createRoute({
  method: "post",
  path: "/api/runs/{id}/signals/{name}",
  operationId: "sendSignal",
  tags: ["actions"],
  summary: "Send a signal to a run (an approval, a webhook's answer)",
  description:
    "The step waiting for it continues with `data` as its output; a signal sent before the run reaches its wait is kept and delivered once. 422 when `data` does not fit the schema the wait declared (nothing is kept); 409 when the run succeeded.",
  security: BEARER,
  request: { params: SignalParams, body: jsonBody(SignalBody, false) },
  responses: {
    202: json(SignalResultSchema, "The signal was recorded (or, with a repeated key, already had been)."),
    ...errors(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

export function registerSignalRoutes(app: App, { cairn }: RouteContext): void {
  app.openapi(signal, async (c) => {
    const { id, name } = c.req.valid("param");
    const principal = c.get("principal");
    await ownRun(cairn, principal, id);
    const body = c.req.valid("json");
    const receipt = await cairn.signal(id, name, (body.data ?? null) as Json, {
      ...(body.key !== undefined ? { key: body.key } : {}),
      tenant: principal.tenant,
      ...actorOf(principal),
    });
    return c.json({ accepted: receipt.accepted, wokeStep: receipt.wokeStep }, 202);
  });
}

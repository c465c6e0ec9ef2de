import { createRoute, z } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import { ErrorSchema } from "../schemas.js";
import { type App, json, type RouteContext } from "./common.js";

const ReadySchema = z
  .object({
    status: z.literal("ready"),
    schemaVersion: z.number().int().openapi({ description: "The store's schema version." }),
  })
  .openapi("Ready");

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "getReadiness",
  tags: ["system"],
  summary: "Readiness: 200 when the store answers and is migrated",
  description:
    "Asks the store once (no waiting for a database that is down): 200 when it answers and its schema is at the version this server knows; 503 when it is unreachable or at another schema version (run `cairn migrate`).",
  security: [],
  responses: {
    200: json(ReadySchema, "The store is reachable and migrated."),
    503: json(ErrorSchema, "The store is not reachable, or not at this server's schema version."),
  },
});

export function registerReadinessRoute(app: App, { cairn }: RouteContext): void {
  app.openapi(readyz, async (c) => {
    let version: { current: number; known: number };
    try {
      version = await cairn.schemaVersion();
    } catch (cause) {
      throw new CairnError("STORE", "The store is not reachable.", { cause });
    }
    if (version.current !== version.known)
      throw new CairnError(
        "STORE",
        `The store is at schema version ${version.current}; this server needs version ${version.known}${version.current < version.known ? " (run `cairn migrate`)" : " (a newer Cairn migrated it: upgrade this server)"}.`,
        { details: { schemaVersion: version.current, expected: version.known } },
      );
    return c.json({ status: "ready" as const, schemaVersion: version.current }, 200);
  });
}

import { createRoute, z } from "@hono/zod-openapi";
import { CairnError } from "../../core/errors.js";
import { CairnMetrics, METRICS_CONTENT_TYPE } from "../metrics/cairn-metrics.js";
import { openApiDocument } from "../openapi.js";
import { ErrorSchema, HealthSchema } from "../schemas.js";
import { type App, json, type RouteContext } from "./common.js";

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  tags: ["system"],
  summary: "Liveness: 200 when the store answers",
  security: [],
  responses: {
    200: json(HealthSchema, "The store is reachable."),
    503: json(ErrorSchema, "The store is not reachable."),
  },
});

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  tags: ["system"],
  summary: "Prometheus metrics (text exposition format)",
  description:
    "Runs by workflow and status and the queue depth (read from the store at scrape time); step claims, completions by outcome, fenced writes, recoveries and step durations by workflow and step (counted by this process); process metrics. docs/operations.md lists them.",
  security: [],
  responses: { 200: { description: "Metrics.", content: { "text/plain": { schema: z.string() } } } },
});

const openapi = createRoute({
  method: "get",
  path: "/api/openapi.json",
  operationId: "getOpenApiDocument",
  tags: ["system"],
  summary: "This OpenAPI 3.1 document",
  description: "Served without a token, for client generators.",
  security: [],
  responses: { 200: json(z.record(z.string(), z.unknown()), "The document.") },
});

export function registerSystemRoutes(app: App, { cairn, options }: RouteContext): void {
  const collector = options.metrics ?? new CairnMetrics(cairn);
  let document: ReturnType<typeof openApiDocument> | undefined;

  app.openapi(healthz, async (c) => {
    // A read through the store's own connection: fails when the file or server is gone.
    try {
      await cairn.ping();
    } catch (cause) {
      throw new CairnError("STORE", "The store is not reachable.", { cause });
    }
    return c.json({ status: "ok" as const }, 200);
  });

  app.openapi(metrics, async (c) =>
    c.text(await collector.render(), 200, { "Content-Type": METRICS_CONTENT_TYPE }),
  );

  app.openapi(openapi, (c) => {
    document ??= openApiDocument(app);
    return c.json(document as unknown as Record<string, unknown>, 200);
  });
}

import { createServer } from "node:http";
import type { CairnClient } from "../../engine/client.js";
import { type Listening, listenOn } from "../listen-on.js";
import { type CairnMetrics, METRICS_CONTENT_TYPE } from "./cairn-metrics.js";

/**
 * `cairn worker --metrics-port`: `GET /metrics` and `GET /healthz` on a port of their own (no API, no
 * token), for Prometheus and an orchestrator's liveness probe.
 *
 * @example
 * const metrics = new CairnMetrics(cairn);
 * const server = await serveMetrics(cairn, metrics, { host: "0.0.0.0", port: 9464 });
 */
export function serveMetrics(
  cairn: CairnClient,
  metrics: CairnMetrics,
  options: { host: string; port: number },
): Promise<Listening> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { "Content-Type": type }).end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return answer(405, "text/plain", "Only GET and HEAD.\n");
    }
    if (path === "/metrics")
      return void metrics.render().then(
        (text) => answer(200, METRICS_CONTENT_TYPE, text),
        () => answer(503, "text/plain", "The store is not reachable.\n"),
      );
    if (path === "/healthz")
      // A read through the store's own connection: fails when the file or server is gone.
      return void cairn.ping().then(
        () => answer(200, "application/json", '{"status":"ok"}'),
        () =>
          answer(
            503,
            "application/json",
            '{"error":{"code":"STORE","message":"The store is not reachable.","details":{}}}',
          ),
      );
    answer(404, "text/plain", "Only /metrics and /healthz here.\n");
  });
  return listenOn(server, options);
}

import http from "node:http";
import type { AddressInfo } from "node:net";
import { after } from "node:test";

/** A span as an OTLP/HTTP JSON request carried it, with its attributes flattened. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string;
  attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

type AnyValue = {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
};
type KeyValue = { key: string; value: AnyValue };

function anyValue(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue ?? "";
}

function attributes(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

/**
 * A tiny OTLP/HTTP trace receiver: POST /v1/traces with a JSON body (what the OTLP HTTP exporter
 * sends), as a collector on port 4318 would receive it. Closed when the test file ends.
 */
export async function startCollector(): Promise<{
  endpoint: string;
  spans: ReceivedSpan[];
  paths: string[];
}> {
  const spans: ReceivedSpan[] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      paths.push(`${req.method} ${req.url}`);
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      const payload = JSON.parse(body) as {
        resourceSpans: Array<{
          resource?: { attributes?: KeyValue[] };
          scopeSpans: Array<{
            spans: Array<{
              name: string;
              traceId: string;
              spanId: string;
              parentSpanId?: string;
              attributes?: KeyValue[];
              status?: { code?: number };
            }>;
          }>;
        }>;
      };
      for (const rs of payload.resourceSpans) {
        const service = String(attributes(rs.resource?.attributes)["service.name"] ?? "");
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans)
            spans.push({
              name: s.name,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? "",
              service,
              attributes: attributes(s.attributes),
              statusCode: s.status?.code ?? 0,
            });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, spans, paths };
}

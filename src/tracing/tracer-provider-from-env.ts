import type { TracerProvider } from "@opentelemetry/api";
import { CairnError } from "../core/errors.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The exporters Cairn builds from `OTEL_TRACES_EXPORTER`. */
const EXPORTERS = ["otlp", "console", "none"] as const;

/**
 * Which span exporters the standard OpenTelemetry variables ask for; empty when tracing is off.
 * Tracing is on when `OTEL_TRACES_EXPORTER` names `otlp` or `console`, or, without it, when an OTLP
 * endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).
 * `OTEL_SDK_DISABLED=true` and `OTEL_TRACES_EXPORTER=none` turn it off.
 */
export function tracesExporters(env: Env): Array<"otlp" | "console"> {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return [];
  const named = env.OTEL_TRACES_EXPORTER?.trim();
  if (!named)
    return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? ["otlp"] : [];
  const names = named
    .split(",")
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean);
  for (const name of names)
    if (!(EXPORTERS as readonly string[]).includes(name))
      throw new CairnError(
        "USAGE",
        `OTEL_TRACES_EXPORTER must name ${EXPORTERS.join(", ")} (comma-separated), got "${name}".`,
      );
  if (names.includes("none")) return [];
  return [...new Set(names)] as Array<"otlp" | "console">;
}

/**
 * A tracer provider configured by the standard `OTEL_*` variables, or undefined when they do not
 * turn tracing on (then nothing of OpenTelemetry is loaded). Spans are batched (`OTEL_BSP_*`) and
 * sent as OTLP over HTTP (`OTEL_EXPORTER_OTLP_*`: endpoint, headers, timeout), and/or printed to
 * stdout ("console"); `OTEL_SERVICE_NAME` (default "cairn") and `OTEL_RESOURCE_ATTRIBUTES` describe
 * the process, `OTEL_TRACES_SAMPLER` samples. Pass it as `tracerProvider`; `close()` flushes it.
 *
 * @example
 * const tracerProvider = await tracerProviderFromEnv();
 * const cairn = await Cairn.open({ ...(tracerProvider ? { tracerProvider } : {}) });
 */
export async function tracerProviderFromEnv(): Promise<TracerProvider | undefined> {
  // The exporter and the resource read process.env themselves: so does the choice made here.
  const exporters = tracesExporters(process.env);
  if (exporters.length === 0) return undefined;
  const [sdk, resources] = await Promise.all([
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/resources"),
  ]);
  const processors = [];
  for (const name of exporters) {
    if (name === "otlp") {
      const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
      processors.push(new sdk.BatchSpanProcessor(new OTLPTraceExporter()));
    } else processors.push(new sdk.SimpleSpanProcessor(new sdk.ConsoleSpanExporter()));
  }
  // The service is "cairn" unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ "service.name": "cairn" }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  return new sdk.BasicTracerProvider({ resource, spanProcessors: processors });
}

import type { Tracer, TracerProvider } from "@opentelemetry/api";
import type { AttemptSpans, RunTracing } from "./tracing.js";

/** The tracing options of a client (see CairnOptions). */
export interface TracingOptions {
  readonly tracerProvider?: TracerProvider | undefined;
  readonly tracer?: Tracer | undefined;
}

/** The instrumentation scope Cairn's spans are reported under. */
export const TRACER_NAME = "cairn-runs";

/**
 * Tracing for a client, or null when no tracer was given: then the OpenTelemetry API is never
 * imported, and runs cost nothing more than without tracing.
 */
export async function openTracing(options: TracingOptions): Promise<RunTracing | null> {
  const { tracerProvider, tracer } = options;
  if (!tracerProvider && !tracer) return null;
  const { RunTracing } = await import("./tracing.js");
  const flushable = tracerProvider as { forceFlush?: () => Promise<void> } | undefined;
  return new RunTracing(tracer ?? tracerProvider!.getTracer(TRACER_NAME), async () => {
    await flushable?.forceFlush?.();
  });
}

/**
 * Run `body`, a transaction that may begin run attempt spans, and end them once it is done: with
 * the error when it failed. Without tracing, `body` gets undefined and nothing else happens.
 */
export async function withAttemptSpans<T>(
  tracing: RunTracing | null,
  body: (spans: AttemptSpans | undefined) => Promise<T>,
): Promise<T> {
  const spans = tracing?.attempts();
  try {
    const result = await body(spans);
    spans?.end();
    return result;
  } catch (error) {
    spans?.end(error);
    throw error;
  }
}

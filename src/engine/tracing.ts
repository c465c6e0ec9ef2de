import { createHash } from "node:crypto";
import {
  type Attributes,
  type Context,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { firstLine, toError } from "../core/errors.js";
import type { RunRecord, StepRecord } from "../core/types.js";
import type { StepOutcome } from "./transitions.js";

/**
 * OpenTelemetry spans of runs, loaded only when tracing is on (open-tracing.ts): importing the API
 * costs time that a process without tracing should not pay.
 *
 * The trace of a run: its start span is the root (or a child of the caller's active span); each
 * resume and each automatic recovery begins an attempt span whose parent is the previous attempt's,
 * read from the run's stored `traceParent`, so the whole history of a run is one trace, whichever
 * process wrote it. Step executions are children of their attempt's span; a worker that settles a
 * run adds a `cairn.run.end` span. An attempt span lasts as long as recording the attempt (its steps
 * run later, elsewhere perhaps), so children outlive their parent: a span cannot be handed from one
 * process to another. A restart or rerun is a new trace, linked to its source run's.
 */
export class RunTracing {
  constructor(
    readonly tracer: Tracer,
    /** Export what has ended (close() calls it): a short-lived process must not lose its last spans. */
    readonly flush: () => Promise<void>,
  ) {}

  /** A collector for the attempt spans begun inside one transaction. */
  attempts(): AttemptSpans {
    return new AttemptSpans(this.tracer);
  }

  /** The span of one execution of a claimed step, a child of its run attempt's span. */
  startStep(run: RunRecord, step: StepRecord, workerId: string): StepSpan {
    const span = this.tracer.startSpan(
      "cairn.step",
      {
        attributes: {
          ...runAttributes(run),
          "cairn.step.id": step.stepId,
          "cairn.step.attempt": step.attempts,
          "cairn.step.provenance": step.provenance?.kind === "recovered" ? "recovered" : "executed",
          "cairn.worker.id": workerId,
        },
      },
      runContext(run),
    );
    return new StepSpan(span);
  }

  /** A worker settled a run (succeeded, failed, cancelled, paused…): the end of its attempt, in its trace. */
  runSettled(run: RunRecord): void {
    const span = this.tracer.startSpan(
      "cairn.run.end",
      { attributes: { ...runAttributes(run), "cairn.run.status": run.status } },
      runContext(run),
    );
    if (run.status === "failed")
      span.setStatus({ code: SpanStatusCode.ERROR, message: firstLine(run.error?.message ?? "failed") });
    span.end();
  }
}

/** What an attempt span says about its run attempt. */
export interface AttemptInfo {
  readonly run: Pick<RunRecord, "id" | "workflowId" | "traceParent">;
  readonly attempt: number;
  /** "start" (a new run), "resume" (asked for), "recover" (an automatic recovery). */
  readonly action: "start" | "resume" | "recover";
  readonly trigger: string;
  /** A restart's or rerun's source run: the new trace links to its trace. */
  readonly source?: Pick<RunRecord, "id" | "traceParent"> | null;
  readonly reason?: string | null;
  /** For a start: the steps copied from the source run instead of executed (a rerun's reused steps). */
  readonly reused?: readonly string[];
}

/**
 * The attempt spans begun in one transaction (a start, a resume, the runs one recovery pass resumes):
 * begun inside it, so their context is written with the run, and ended once it commits or fails.
 */
export class AttemptSpans {
  readonly #spans: Span[] = [];

  constructor(private readonly tracer: Tracer) {}

  /** Begin a run attempt's span; returns the `traceparent` to store with the run. */
  begin(a: AttemptInfo): string {
    const stored = parseTraceParent(a.run.traceParent);
    const active = trace.getSpanContext(context.active());
    const links: Link[] = [];
    let parent: Context;
    if (a.action === "start") {
      parent = context.active();
      const source = parseTraceParent(a.source?.traceParent ?? null);
      if (source) links.push({ context: source, attributes: { "cairn.run.id": a.source!.id } });
    } else {
      // The run's trace continues; the caller's own span (a request in an instrumented app) is linked.
      parent = stored ? trace.setSpanContext(ROOT_CONTEXT, stored) : context.active();
      if (stored && active && active.traceId !== stored.traceId) links.push({ context: active });
    }
    const attributes: Attributes = {
      "cairn.workflow.id": a.run.workflowId,
      "cairn.run.id": a.run.id,
      "cairn.run.attempt": a.attempt,
      "cairn.run.trigger": a.trigger,
      ...(a.reason ? { "cairn.run.reason": a.reason } : {}),
    };
    const span = this.tracer.startSpan(`cairn.run.${a.action}`, { attributes, links }, parent);
    this.#spans.push(span);
    const traceParent = formatTraceParent(span.spanContext());
    if (a.reused && a.reused.length > 0) {
      const within = trace.setSpan(ROOT_CONTEXT, span);
      for (const stepId of a.reused)
        this.tracer
          .startSpan(
            "cairn.step",
            {
              attributes: {
                "cairn.workflow.id": a.run.workflowId,
                "cairn.run.id": a.run.id,
                "cairn.run.attempt": a.attempt,
                "cairn.step.id": stepId,
                "cairn.step.provenance": "reused",
                ...(a.source ? { "cairn.step.reused_from": a.source.id } : {}),
              },
            },
            within,
          )
          .end();
    }
    return traceParent;
  }

  /** End the spans: the transaction committed, or failed with `error`. */
  end(error?: unknown): void {
    for (const span of this.#spans.splice(0)) {
      if (error !== undefined) {
        const e = toError(error);
        span.recordException(e);
        span.setStatus({ code: SpanStatusCode.ERROR, message: firstLine(e.message) });
      }
      span.end();
    }
  }
}

/** One step execution's span: the handler runs inside its context, so spans it makes are its children. */
export class StepSpan {
  constructor(private readonly span: Span) {}

  within<T>(fn: () => Promise<T>): Promise<T> {
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  /** The execution's outcome is recorded (or was refused: `rejected`). */
  end(outcome: StepOutcome | undefined, rejected = false): void {
    const { span } = this;
    if (outcome) {
      const kind = outcome.kind === "failed" && outcome.retryAt ? "retrying" : outcome.kind;
      span.setAttribute("cairn.step.outcome", rejected ? "rejected" : kind);
      if (outcome.kind === "failed")
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: firstLine(outcome.error?.message ?? "failed"),
        });
    }
    span.end();
  }
}

function runAttributes(run: RunRecord): Attributes {
  return { "cairn.workflow.id": run.workflowId, "cairn.run.id": run.id, "cairn.run.attempt": run.attempt };
}

/**
 * The parent of a run's spans: its current attempt's span. A run without one (started while tracing
 * was off) gets a stable trace id from its run id, so its steps still share one trace.
 */
function runContext(run: RunRecord): Context {
  const stored = parseTraceParent(run.traceParent);
  if (stored) return trace.setSpanContext(ROOT_CONTEXT, stored);
  const digest = createHash("sha256").update(run.id).digest("hex");
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: digest.slice(0, 32),
    spanId: digest.slice(32, 48),
    traceFlags: 1,
    isRemote: true,
  });
}

const TRACE_PARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C `traceparent` header value (version 00) as a remote span context; null when absent or malformed. */
export function parseTraceParent(value: string | null): SpanContext | null {
  const m = value ? TRACE_PARENT.exec(value) : null;
  if (!m) return null;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16), isRemote: true };
}

export function formatTraceParent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

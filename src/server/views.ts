import type { z } from "@hono/zod-openapi";
import { runActions } from "../core/run-actions.js";
import { describeWait, parkedWait, runWaiting } from "../core/step-wait.js";
import type {
  CairnEvent,
  ItemStatus,
  Json,
  LogLine,
  RunAttemptRecord,
  RunRecord,
  StepError,
  StepRecord,
  WorkflowRecord,
} from "../core/types.js";
import type { RunView } from "../engine/run-view.js";
import type {
  EventSchema,
  RunAttemptSchema,
  RunDetailSchema,
  RunSchema,
  StepDetailSchema,
  StepSchema,
  WorkflowSchema,
  WorkflowSummarySchema,
} from "./schemas.js";

/**
 * Records as the API shows them. Internal fields (worker ids, leases, the run's directory on the
 * server) stay inside, and an error keeps only its message and code: never a stack trace.
 */

type Out<T extends z.ZodType> = z.output<T>;

function errorView(error: StepError | null): { message: string; code?: string } | null {
  if (!error) return null;
  return error.code === undefined ? { message: error.message } : { message: error.message, code: error.code };
}

export function runView(run: RunRecord): Out<typeof RunSchema> {
  return {
    id: run.id,
    workflowId: run.workflowId,
    workflowVersion: run.workflowVersion,
    tenant: run.tenant,
    status: run.status,
    input: run.input,
    output: run.output,
    error: errorView(run.error),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    finishedAt: run.finishedAt,
    origin: run.origin,
    parentRunId: run.parentRunId,
    rootRunId: run.rootRunId,
    callerRunId: run.callerRunId,
    callerStepId: run.callerStepId,
    attempt: run.attempt,
    reason: run.reason,
    secretNames: run.secretNames,
    actions: runActions(run.id, run.status),
  };
}

/** A map step's recorded items by status, by step id (steps without items are absent). */
export type ItemCounts = ReadonlyMap<string, Record<ItemStatus, number>>;

export function stepView(
  step: StepRecord,
  labels: ReadonlyMap<string, string | null>,
  items: ItemCounts = new Map(),
): Out<typeof StepSchema> {
  return {
    id: step.stepId,
    label: labels.get(step.stepId) ?? null,
    status: step.status,
    needs: step.needs,
    attempts: step.attempts,
    recoveries: step.recoveries,
    startedAt: step.startedAt,
    finishedAt: step.finishedAt,
    durationMs: step.startedAt !== null && step.finishedAt !== null ? step.finishedAt - step.startedAt : null,
    output: step.output,
    error: errorView(step.error),
    provenance: step.provenance,
    waiting: stepWaitView(step),
    items: items.get(step.stepId) ?? null,
  };
}

function stepWaitView(step: StepRecord): Out<typeof StepSchema>["waiting"] {
  const wait = parkedWait(step);
  if (!wait) return null;
  const description = describeWait(wait);
  const none = { signal: null, childRunId: null, schema: null, description };
  if (wait.kind === "sleep") return { ...none, kind: "sleep", until: wait.until };
  if (wait.kind === "child") return { ...none, kind: "child", until: null, childRunId: wait.runId };
  return { ...none, kind: "signal", until: wait.until, signal: wait.name, schema: wait.schema ?? null };
}

export function runDetailView(
  view: RunView,
  related: {
    children: readonly RunRecord[];
    /** Child runs its steps started. */
    childRuns: readonly RunRecord[];
    labels: ReadonlyMap<string, string | null>;
    items: ItemCounts;
    parentDeleted: boolean;
  },
): Out<typeof RunDetailSchema> {
  const { children, childRuns, labels, items, parentDeleted } = related;
  const { callerRunId, callerStepId } = view.run;
  return {
    ...runView(view.run),
    steps: view.steps.map((s) => stepView(s, labels, items)),
    lineage: {
      parentRunId: view.run.parentRunId,
      parentDeleted,
      rootRunId: view.run.rootRunId,
      children: children.map((c) => ({ id: c.id, origin: c.origin, status: c.status })),
      caller: callerRunId && callerStepId ? { runId: callerRunId, stepId: callerStepId } : null,
      childRuns: childRuns.map((c) => ({
        id: c.id,
        workflowId: c.workflowId,
        stepId: c.callerStepId ?? "",
        status: c.status,
      })),
    },
    orphaned: view.orphaned,
    waiting: view.run.status === "running" ? runWaiting(view.steps) : null,
  };
}

export function stepDetailView(
  step: StepRecord,
  labels: ReadonlyMap<string, string | null>,
  logs: readonly LogLine[],
  memos: ReadonlyArray<{ key: string; at: number; value: Json }>,
  items: ItemCounts = new Map(),
): Out<typeof StepDetailSchema> {
  return {
    ...stepView(step, labels, items),
    runId: step.runId,
    // The step's own stack is the user's data (masked like everything else); the server's never leaves.
    error: step.error
      ? { ...errorView(step.error)!, ...(step.error.stack ? { stack: step.error.stack } : {}) }
      : null,
    checkpoint: step.checkpoint,
    vars: step.vars,
    memos: memos.map((m) => ({ key: m.key, at: m.at, value: m.value })),
    logs: logs.map((l) => ({ attempt: l.attempt, at: l.at, stream: l.stream, line: l.line })),
  };
}

export function attemptView(a: RunAttemptRecord): Out<typeof RunAttemptSchema> {
  const { runId: _runId, ...rest } = a;
  return rest;
}

export function eventView(e: CairnEvent): Out<typeof EventSchema> {
  return { seq: e.seq, runId: e.runId, stepId: e.stepId, type: e.type, at: e.at, data: e.data };
}

interface StoredGraph {
  steps: Out<typeof WorkflowSchema>["steps"];
  failFast?: boolean;
  recovery?: "auto" | "manual";
  maxRecoveries?: number;
  secrets?: string[];
  hasInputSchema?: boolean;
  inputSchema?: Json | null;
}

function graphOf(record: WorkflowRecord): StoredGraph {
  const graph = (record.graph ?? {}) as Partial<StoredGraph>;
  return { ...graph, steps: graph.steps ?? [] };
}

/** A workflow's summary; `stored` describes a workflow stored as data by its newest version. */
export function workflowSummaryView(
  record: WorkflowRecord,
  stored: { version: string; versionCount: number } | null = null,
): Out<typeof WorkflowSummarySchema> {
  const graph = graphOf(record);
  return {
    id: record.id,
    fingerprint: record.fingerprint,
    updatedAt: record.updatedAt,
    stepCount: graph.steps.length,
    secrets: graph.secrets ?? [],
    hasInputSchema: graph.hasInputSchema ?? false,
    stored,
  };
}

export function workflowView(
  record: WorkflowRecord,
  stored: { version: string; versionCount: number } | null = null,
): Out<typeof WorkflowSchema> {
  const graph = graphOf(record);
  return {
    ...workflowSummaryView(record, stored),
    steps: graph.steps.map((s) => ({
      id: s.id,
      needs: s.needs,
      label: s.label ?? null,
      effects: s.effects,
      timeoutMs: s.timeoutMs ?? null,
      retry: {
        attempts: s.retry.attempts,
        initialMs: s.retry.initialMs,
        factor: s.retry.factor,
        maxMs: s.retry.maxMs,
      },
      outputs: s.outputs ?? [],
    })),
    failFast: graph.failFast ?? false,
    recovery: graph.recovery ?? "auto",
    maxRecoveries: graph.maxRecoveries ?? 3,
    inputSchema: graph.inputSchema ?? null,
  };
}

/** Step labels of a workflow, by step id (for runs' step lists). */
export function labelsOf(record: WorkflowRecord | undefined): Map<string, string | null> {
  return new Map(record ? graphOf(record).steps.map((s) => [s.id, s.label ?? null]) : []);
}

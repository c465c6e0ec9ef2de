import type { Json, Provenance, RunOrigin, RunRecord, StepRecord } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import type { LoadedWorkflow } from "./registry.js";
import { blankStep } from "./resume.js";
import { event } from "./run-events.js";
import type { AttemptSpans } from "./tracing.js";

export interface NewRunParams {
  readonly runId: string;
  readonly workflow: LoadedWorkflow;
  readonly input: Json;
  readonly tenant: string;
  readonly workdir: string;
  readonly origin: RunOrigin;
  readonly parent: RunRecord | null;
  /** The worker that will drive the run in-process, or null to leave it to any worker. */
  readonly driverId: string | null;
  readonly trigger: string;
  readonly actor: string | null;
  /** For reruns: steps whose recorded output is copied instead of executing them. */
  readonly reused?: ReadonlyMap<string, StepRecord>;
  /** For reruns: why each executed step runs. */
  readonly reasons?: ReadonlyMap<string, Provenance["reason"]>;
  readonly note?: string | null;
  /** The run's time limit; default: the workflow's `timeout`. */
  readonly timeoutMs?: number | null;
  /** Where the run's start span begins, when tracing is on. */
  readonly spans?: AttemptSpans | undefined;
  /** For a child run: the step that started it and waits for it. */
  readonly caller?: { readonly runId: string; readonly stepId: string };
}

/**
 * Insert a run, its steps, its first run attempt and its creation events in the caller's
 * transaction. Returns the existing run instead when `runId` is already taken (idempotent start).
 */
export async function insertRun(tx: StoreTx, p: NewRunParams): Promise<{ run: RunRecord; created: boolean }> {
  const existing = await tx.getRun(p.runId);
  if (existing) return { run: existing, created: false };
  const now = await tx.now();
  const { definition } = p.workflow;
  const timeoutMs = p.timeoutMs ?? definition.timeoutMs;
  const run: RunRecord = {
    id: p.runId,
    workflowId: definition.id,
    tenant: p.tenant,
    status: "running",
    input: p.input,
    output: null,
    error: null,
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    origin: p.origin,
    parentRunId: p.parent?.id ?? null,
    rootRunId: p.parent?.rootRunId ?? p.runId,
    attempt: 1,
    driverId: p.driverId,
    reason: null,
    workdir: p.workdir,
    secretNames: [...definition.secrets],
    fingerprint: p.workflow.fingerprint,
    failFast: definition.failFast,
    timeoutMs,
    deadlineAt: timeoutMs === null ? null : now + timeoutMs,
    source: definition.sourceFile,
    traceParent: null,
    callerRunId: p.caller?.runId ?? null,
    callerStepId: p.caller?.stepId ?? null,
    workflowVersion: p.workflow.version,
  };
  const reused = p.reused ?? new Map<string, StepRecord>();
  const steps: StepRecord[] = definition.steps.map((step) => {
    const source = reused.get(step.id);
    const base = blankStep(run.id, step.id, [...step.needs]);
    if (source) {
      return {
        ...base,
        status: "succeeded",
        output: source.output,
        vars: source.vars,
        files: source.files,
        finishedAt: now,
        fingerprint: source.fingerprint,
        provenance: {
          kind: "reused",
          fromRunId: source.provenance?.kind === "reused" ? source.provenance.fromRunId! : source.runId,
          ...(source.provenance?.fingerprint ? { fingerprint: source.provenance.fingerprint } : {}),
        },
      };
    }
    const reason = p.reasons?.get(step.id);
    const ready = step.needs.every((need) => reused.has(need));
    return {
      ...base,
      status: ready ? "ready" : "pending",
      readyAt: ready ? now : null,
      provenance: reason ? { kind: "executed", reason } : null,
    };
  });
  run.traceParent =
    p.spans?.begin({
      run,
      attempt: 1,
      action: "start",
      trigger: p.trigger,
      source: p.parent,
      reused: [...reused.keys()],
    }) ?? null;
  await tx.insertRun(run);
  await tx.insertSteps(steps);
  await tx.insertRunAttempt({
    runId: run.id,
    number: 1,
    at: now,
    trigger: p.trigger,
    actor: p.actor,
    action: "start",
    strategy: p.origin === "start" ? null : { origin: p.origin, from: p.parent?.id ?? null },
    stepsDone: reused.size,
    stepsTotal: steps.length,
    outcome: null,
    endedAt: null,
    note: p.note ?? null,
  });
  const data: Json = {
    workflow: definition.id,
    origin: p.origin,
    parentRunId: run.parentRunId,
    ...(p.caller ? { caller: { runId: p.caller.runId, stepId: p.caller.stepId } } : {}),
  };
  await tx.appendEvents([
    event(run, "run.created", now, null, data),
    ...steps
      .filter((s) => s.provenance?.kind === "reused")
      .map((s) => event(run, "step.reused", now, s.stepId, { fromRunId: s.provenance?.fromRunId ?? null })),
  ]);
  return { run, created: true };
}

import { CairnError } from "../core/errors.js";
import {
  computeResumePlan,
  type PlanStep,
  type ResumeOptions,
  type ResumePlan,
} from "../core/resume-plan.js";
import { resolveStrategy } from "../core/resume-strategy.js";
import { refusal } from "../core/run-actions.js";
import type { Json, NewEvent, RunRecord, StepRecord, StepStatus } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { declaredFilesChanged } from "./declared-files.js";
import { orphanReason } from "./liveness.js";
import { addItemCounts, staleItemSteps } from "./map-plan.js";
import type { LoadedWorkflow } from "./registry.js";
import { event } from "./run-events.js";
import { finishRunIfDone } from "./run-finish.js";
import type { AttemptSpans } from "./tracing.js";
import { makeReady, needsSucceeded } from "./transitions.js";

export interface ResumeRequest {
  readonly runId: string;
  readonly workflow: LoadedWorkflow;
  readonly options: ResumeOptions;
  /** Names of the secrets supplied with this request (values stay with the caller). */
  readonly secretNames: readonly string[];
  readonly trigger: string;
  readonly actor: string | null;
  /** The worker that will drive the resumed run in-process, or null for any worker. */
  readonly driverId: string | null;
  /** A time limit for this resume; default: the run's own (its deadline starts afresh). */
  readonly timeoutMs?: number | null;
  /** Where the resume's attempt span begins, when tracing is on. */
  readonly spans?: AttemptSpans | undefined;
}

/**
 * Check that a run may be resumed and compute its plan. Throws NOT_FOUND, CONFLICT (the run's state
 * forbids it), INVALID_INPUT (missing secrets) or UNPROCESSABLE (the plan cannot be carried out).
 */
export async function planResume(
  tx: StoreTx,
  req: Omit<ResumeRequest, "driverId">,
): Promise<{
  run: RunRecord;
  steps: StepRecord[];
  plan: ResumePlan;
  orphaned: string | null;
  options: ResumeOptions;
}> {
  const run = await tx.getRun(req.runId);
  if (!run) throw new CairnError("NOT_FOUND", `Run "${req.runId}" does not exist.`);
  // Statuses only: outputs are read by each step when it runs. Reading all 10,000 outputs of a long
  // run here took longer than the rest of its resume.
  const steps = await tx.getSteps(run.id, undefined, { outputs: false });
  const timeoutOf = (s: StepRecord) => req.workflow.steps.get(s.stepId)?.timeoutMs ?? null;
  // A `running` run may be resumed once its owner is found dead (it is interrupted in all but name).
  const orphaned = run.status === "running" ? await orphanReason(tx, run, steps, timeoutOf) : null;
  const refused = refusal("resume", run.id, run.status);
  if (refused && !orphaned) throw new CairnError("CONFLICT", refused, { details: { status: run.status } });
  if (run.status !== "running") {
    const live = steps.filter((s) => s.status === "running");
    if (live.length > 0 && !(await orphanReason(tx, { ...run, status: "running" }, live, timeoutOf)))
      throw new CairnError(
        "CONFLICT",
        `Run "${run.id}" is ${run.status} but step "${live[0]!.stepId}" is still finishing. Wait a moment and resume again.`,
        { details: { status: run.status } },
      );
  }
  const missing = run.secretNames.filter((name) => !req.secretNames.includes(name));
  if (missing.length > 0)
    throw new CairnError(
      "INVALID_INPUT",
      `Run "${run.id}" needs the secret${missing.length > 1 ? "s" : ""} ${missing.join(", ")} to resume; pass ${missing.length > 1 ? "them" : "it"} with the request (secrets are never stored).`,
      { details: { missing } },
    );
  // The request's options, else the workflow's own `resume` defaults, else Cairn's.
  const { options, strategy } = resolveStrategy(req.workflow.definition.resume, req.options);
  if (req.options.markDone && !req.workflow.steps.has(req.options.markDone.stepId))
    throw new CairnError(
      "INVALID_INPUT",
      `Cannot mark step "${req.options.markDone.stepId}" done: the workflow has no such step (its steps: ${[...req.workflow.steps.keys()].join(", ")}).`,
      {
        details: { unknown: [req.options.markDone.stepId] },
      },
    );
  const plan = computeResumePlan({
    nodes: req.workflow.definition.steps,
    order: req.workflow.order,
    fingerprints: req.workflow.fingerprints,
    steps,
    options,
    changedFiles: declaredFilesChanged(run.workdir, steps, req.workflow),
  });
  await addItemCounts(tx, run.id, plan, req.workflow);
  return { run, steps, plan: { ...plan, strategy }, orphaned, options };
}

/** Resume a run in place: a compare-and-set on its status, then the plan applied, in one transaction. */
export async function resumeRun(
  tx: StoreTx,
  request: ResumeRequest,
): Promise<{ run: RunRecord; plan: ResumePlan }> {
  const planned = await planResume(tx, request);
  const { run, steps, plan, orphaned } = planned;
  const req = { ...request, options: planned.options };
  if (plan.refusal)
    throw new CairnError("UNPROCESSABLE", plan.refusal, {
      details: { changed: plan.changed, unknown: plan.unknown },
    });
  const now = await tx.now();
  // The attempt whose process died was never closed: it ended, interrupted, when that was noticed.
  if (orphaned)
    await tx.updateRunAttempt(run.id, run.attempt, { outcome: "interrupted", endedAt: now, note: orphaned });
  const attempt = await reopenRun(tx, run, req, now);
  const applied: Applied = {
    run,
    req,
    now,
    final: new Map(),
    events: [
      event(run, "run.resumed", now, null, {
        attempt,
        trigger: req.trigger,
        options: strategyOf(req.options),
      }),
    ],
    rerun: [],
    fresh: [],
  };
  const rows = new Map(steps.map((s) => [s.stepId, s]));
  for (const step of plan.steps) await applyPlanStep(tx, applied, step, rows.get(step.stepId));
  if (applied.fresh.length > 0) await tx.insertSteps(applied.fresh);
  // Memoized sub-steps of a step whose definition or inputs changed are stale; a failed step keeps its own.
  await tx.deleteMemos(run.id, applied.rerun);
  // A map whose list may have changed starts afresh: its items and their memos are forgotten.
  const stale = staleItemSteps(plan, req.workflow);
  await tx.deleteItems(run.id, stale);
  await tx.deleteMemos(run.id, stale);
  await readyWhatMayRun(tx, applied, plan);
  await recordResumeAttempt(tx, applied, attempt);
  await tx.appendEvents(applied.events);
  const resumed = (await tx.getRun(run.id))!;
  const settled = await finishRunIfDone(tx, resumed, req.workflow, now);
  return { run: settled ?? resumed, plan };
}

/** The run made running again for a new attempt, by compare-and-set on the status it was planned from. */
async function reopenRun(tx: StoreTx, run: RunRecord, req: ResumeRequest, now: number): Promise<number> {
  const attempt = run.attempt + 1;
  const timeoutMs = req.timeoutMs ?? run.timeoutMs ?? req.workflow.definition.timeoutMs;
  const traceParent = req.spans?.begin({ run, attempt, action: "resume", trigger: req.trigger });
  const swapped = await tx.updateRun(
    run.id,
    {
      status: "running",
      attempt,
      driverId: req.driverId,
      reason: null,
      error: null,
      output: null,
      finishedAt: null,
      updatedAt: now,
      fingerprint: req.workflow.fingerprint,
      failFast: req.workflow.definition.failFast,
      timeoutMs,
      deadlineAt: timeoutMs === null ? null : now + timeoutMs,
      ...(traceParent ? { traceParent } : {}),
    },
    [run.status],
  );
  if (!swapped)
    throw new CairnError(
      "CONFLICT",
      `Run "${run.id}" was resumed or changed by another request at the same moment.`,
      {
        details: { status: run.status },
      },
    );
  return attempt;
}

/** A resume being applied: each step's status as the plan leaves it, and what is still to write. */
interface Applied {
  readonly run: RunRecord;
  readonly req: ResumeRequest;
  readonly now: number;
  readonly final: Map<string, StepStatus>;
  readonly events: NewEvent[];
  /** Steps executed again from scratch: their memos are dropped. */
  readonly rerun: string[];
  /** Steps new in the definition: inserted together once every step is looked at. */
  readonly fresh: StepRecord[];
}

/** Write one step of the plan: kept, marked done, blocked, or set to execute (again). */
async function applyPlanStep(
  tx: StoreTx,
  a: Applied,
  step: PlanStep,
  row: StepRecord | undefined,
): Promise<void> {
  const needs = [...(a.req.workflow.steps.get(step.stepId)?.needs ?? [])];
  const ref = { runId: a.run.id, stepId: step.stepId };
  if (step.action === "keep") {
    a.final.set(step.stepId, "succeeded");
    if (row && !sameFields(row, { needs })) await tx.updateStep(ref, { needs });
  } else if (step.action === "mark-done") await markDone(tx, a, step, row, needs);
  else if (step.action === "blocked") await block(tx, a, step, row);
  // retry, reset, run, rerun: the step executes (again).
  else await setToExecute(tx, a, step, row, needs);
}

async function markDone(
  tx: StoreTx,
  a: Applied,
  step: PlanStep,
  row: StepRecord | undefined,
  needs: string[],
): Promise<void> {
  a.final.set(step.stepId, "succeeded");
  const output = a.req.options.markDone!.output;
  const by = a.req.actor ?? a.req.trigger;
  const patch = {
    status: "succeeded" as const,
    output,
    error: null,
    needs,
    finishedAt: a.now,
    leaseOwner: null,
    leaseExpiresAt: null,
  };
  const provenance = {
    kind: "manual" as const,
    by,
    fingerprint: a.req.workflow.fingerprints.get(step.stepId)!,
  };
  if (row) await tx.updateStep({ runId: a.run.id, stepId: step.stepId }, { ...patch, provenance });
  else a.fresh.push({ ...blankStep(a.run.id, step.stepId, needs), ...patch, provenance });
  a.events.push(event(a.run, "step.marked-done", a.now, step.stepId, { by }));
}

async function block(tx: StoreTx, a: Applied, step: PlanStep, row: StepRecord | undefined): Promise<void> {
  const ref = { runId: a.run.id, stepId: step.stepId };
  a.final.set(step.stepId, row?.status === "running" ? "failed" : (row?.status ?? "pending"));
  if (row?.status === "running")
    await tx.updateStep(ref, {
      status: "failed",
      leaseOwner: null,
      leaseExpiresAt: null,
      error: { message: "Was running when its run stopped; marked failed because resetRunning is off." },
    });
  else if (row?.status === "failed" && step.why.startsWith("retry budget"))
    await tx.updateStep(ref, {
      error: { message: `Retry budget exhausted: ${row.attempts} attempts used.` },
    });
}

async function setToExecute(
  tx: StoreTx,
  a: Applied,
  step: PlanStep,
  row: StepRecord | undefined,
  needs: string[],
): Promise<void> {
  const { req } = a;
  a.final.set(step.stepId, "pending");
  const attempts = req.options.resetAttempts ? 0 : (row?.attempts ?? 0);
  const policy = req.workflow.steps.get(step.stepId)!.retry.attempts;
  const budget = req.options.maxAttempts;
  const allowed = budget === undefined ? policy : Math.max(1, Math.min(policy, budget - attempts));
  const patch = {
    status: "pending" as const,
    needs,
    attempts,
    attemptBase: attempts + allowed - policy,
    leaseOwner: null,
    leaseExpiresAt: null,
    readyAt: null,
    wait: null,
    provenance: step.cause ? { kind: "executed" as const, reason: step.cause } : null,
    ...(step.action === "rerun" ? { output: null, vars: null, files: null, checkpoint: null } : {}),
  };
  // A step that never ran usually needs no write at all (half of a run killed half way).
  if (row && !(step.action !== "rerun" && sameFields(row, patch)))
    await tx.updateStep({ runId: a.run.id, stepId: step.stepId }, patch);
  else if (!row) a.fresh.push({ ...blankStep(a.run.id, step.stepId, needs), ...patch });
  if (step.action === "rerun") a.rerun.push(step.stepId);
  if (row && step.cause)
    a.events.push(event(a.run, "step.reset", a.now, step.stepId, { action: step.action, why: step.why }));
}

/** The steps to execute whose needs all succeeded (as the plan leaves them) become ready. */
async function readyWhatMayRun(tx: StoreTx, a: Applied, plan: ResumePlan): Promise<void> {
  const successes = { known: { has: (n: string) => a.final.get(n) === "succeeded" }, complete: true };
  for (const step of plan.steps) {
    if (a.final.get(step.stepId) !== "pending") continue;
    const needs = a.req.workflow.steps.get(step.stepId)!.needs;
    if (await needsSucceeded(tx, a.run.id, needs, successes))
      await makeReady(tx, a.run.id, step.stepId, a.now);
  }
}

/** The new run attempt, with progress as the plan left it (without reading every step again). */
async function recordResumeAttempt(tx: StoreTx, a: Applied, attempt: number): Promise<void> {
  const statuses = [...a.final.values()];
  await tx.insertRunAttempt({
    runId: a.run.id,
    number: attempt,
    at: a.now,
    trigger: a.req.trigger,
    actor: a.req.actor,
    action: "resume",
    strategy: strategyOf(a.req.options),
    stepsDone: statuses.filter((s) => s === "succeeded").length,
    stepsTotal: statuses.length,
    outcome: null,
    endedAt: null,
    note: null,
  });
}

/** Whether a patch would change nothing in the row (compared as stored: JSON). */
function sameFields(row: StepRecord, patch: Partial<StepRecord>): boolean {
  return (Object.keys(patch) as Array<keyof StepRecord>).every((key) => {
    const a = row[key] ?? null;
    const b = patch[key] ?? null;
    if (a === b) return true;
    if (Array.isArray(a) && Array.isArray(b))
      return (
        a.length === b.length && a.every((x, i) => x === b[i] || JSON.stringify(x) === JSON.stringify(b[i]))
      );
    return typeof a === "object" && typeof b === "object" && JSON.stringify(a) === JSON.stringify(b);
  });
}

function strategyOf(options: ResumeOptions): Json {
  return {
    retryFailed: options.retryFailed ?? true,
    resetRunning: options.resetRunning ?? true,
    onChange: options.onChange ?? "error",
    maxAttempts: options.maxAttempts ?? null,
    resetAttempts: options.resetAttempts ?? false,
    markDone: options.markDone?.stepId ?? null,
  };
}

export function blankStep(runId: string, stepId: string, needs: string[]): StepRecord {
  return {
    runId,
    stepId,
    status: "pending",
    needs,
    attempts: 0,
    attemptBase: 0,
    recoveries: 0,
    output: null,
    vars: null,
    error: null,
    checkpoint: null,
    files: null,
    startedAt: null,
    finishedAt: null,
    readyAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    leaseEpoch: 0,
    fingerprint: null,
    provenance: null,
    wait: null,
  };
}

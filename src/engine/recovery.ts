import type { RunRecord, StepRecord } from "../core/types.js";
import type { FencedStepRef, StoreTx } from "../store/store.js";
import { judgeRunningSteps, orphanReason, type StepLiveness } from "./liveness.js";
import { type LoadedWorkflow, type StoredPolicy, storedPolicy } from "./registry.js";
import type { RunDefinitions } from "./run-definitions.js";
import { event } from "./run-events.js";
import type { AttemptSpans } from "./tracing.js";

export interface RecoveryReport {
  /** Steps put back to ready for another execution (automatic recovery): the attempt that was lost, its owner. */
  recovered: Array<{ runId: string; stepId: string; reason: string; attempt: number; owner: string | null }>;
  /** Runs now waiting for a person, with the reason. */
  interrupted: Array<{ runId: string; reason: string }>;
}

/**
 * Find steps whose owner died (or whose lease expired) and apply each workflow's recovery policy:
 * `auto` puts the step back to ready (no retry attempt consumed; counted against maxRecoveries);
 * `manual`, a non-idempotent step, or too many recoveries make the run `interrupted` with the reason.
 * Runs in one transaction, so two reapers never process the same step twice.
 */
export async function recoverOrphans(tx: StoreTx, options: RecoveryOptions): Promise<RecoveryReport> {
  const pass = new RecoveryPass(tx, options, await tx.now());
  for (const { step, alive, reason } of await judgeOrphanCandidates(pass)) {
    if (!alive) await recoverStep(pass, step, reason);
  }
  await resumeRecoveredRuns(pass);
  await releaseDriverlessRuns(pass);
  return pass.report;
}

export interface RecoveryOptions {
  readonly workflows: ReadonlyMap<string, LoadedWorkflow>;
  /** Where runs of stored versions find their definition (a worker runs those whatever their id). */
  readonly definitions?: RunDefinitions;
  readonly onlyRegistered: boolean;
  /** Where the attempt span of each run this pass resumes begins, when tracing is on. */
  readonly spans?: AttemptSpans | undefined;
}

/** One reaper pass: the runs and policies it read (each once), what it did, and how it interrupts a run. */
class RecoveryPass {
  readonly report: RecoveryReport = { recovered: [], interrupted: [] };
  readonly #runs = new Map<string, RunRecord | undefined>();
  readonly #policies = new Map<string, StoredPolicy>();

  constructor(
    readonly tx: StoreTx,
    readonly options: RecoveryOptions,
    readonly now: number,
  ) {}

  /** Whether recovery looks at this run (a process may recover only those it could execute). */
  covers(run: RunRecord): boolean {
    if (!this.options.onlyRegistered) return true;
    if (run.workflowVersion !== null) return this.options.definitions !== undefined;
    return this.options.workflows.has(run.workflowId);
  }

  async run(id: string): Promise<RunRecord | undefined> {
    if (!this.#runs.has(id)) this.#runs.set(id, await this.tx.getRun(id));
    return this.#runs.get(id);
  }

  async policy(run: RunRecord): Promise<StoredPolicy> {
    const { workflowId, workflowVersion } = run;
    const key = workflowVersion === null ? workflowId : `${workflowId}@${workflowVersion}`;
    let policy = this.#policies.get(key);
    if (!policy) {
      if (workflowVersion !== null) {
        // Read in this transaction (SQLite has no other reader while it is open). A version this
        // process cannot parse gets the defaults; executing its step then fails with the reason.
        const loaded = await this.options.definitions?.ofRun(this.tx, run).catch(() => undefined);
        policy = loaded ? policyFromDefinition(loaded) : storedPolicy(undefined);
      } else {
        const loaded = this.options.workflows.get(workflowId);
        policy = loaded ? policyFromDefinition(loaded) : storedPolicy(await this.tx.getWorkflow(workflowId));
      }
      this.#policies.set(key, policy);
    }
    return policy;
  }

  /** Make a running run wait for a person, with the reason (its current attempt ends interrupted). */
  async interrupt(run: RunRecord, reason: string): Promise<void> {
    const { tx, now } = this;
    const patch = { status: "interrupted" as const, reason, driverId: null, updatedAt: now };
    if (!(await tx.updateRun(run.id, patch, ["running"]))) return;
    this.#runs.set(run.id, { ...run, status: "interrupted", reason });
    await tx.updateRunAttempt(run.id, run.attempt, { outcome: "interrupted", endedAt: now, note: reason });
    await tx.appendEvents([event(run, "run.interrupted", now, null, { reason })]);
    this.report.interrupted.push({ runId: run.id, reason });
  }
}

/** The running steps of the runs this pass covers, judged alive or orphaned (with their step timeouts). */
async function judgeOrphanCandidates(pass: RecoveryPass): Promise<StepLiveness[]> {
  const candidates: StepRecord[] = [];
  for (const step of await pass.tx.runningSteps()) {
    const run = await pass.run(step.runId);
    if (run && pass.covers(run)) candidates.push(step);
  }
  const timeouts = new Map<string, number | null>();
  for (const step of candidates) {
    const run = (await pass.run(step.runId))!;
    timeouts.set(`${step.runId}/${step.stepId}`, (await pass.policy(run)).timeouts.get(step.stepId) ?? null);
  }
  return judgeRunningSteps(pass.tx, candidates, (s) => timeouts.get(`${s.runId}/${s.stepId}`) ?? null);
}

/** An orphaned step: cancelled with its run, its run interrupted for a person, or put back to ready. */
async function recoverStep(pass: RecoveryPass, step: StepRecord, reason: string | null): Promise<void> {
  const run = (await pass.run(step.runId))!;
  // Fenced on the epoch that was judged: when another reaper already recovered the step and a worker
  // claimed it again (a new epoch), this stale judgement changes nothing.
  const ref = { runId: step.runId, stepId: step.stepId, epoch: step.leaseEpoch, owner: step.leaseOwner };
  if (run.status === "cancelled") {
    await pass.tx.updateOwnedStep(ref, {
      leaseOwner: null,
      leaseExpiresAt: null,
      status: "cancelled",
      error: { message: `Cancelled; ${reason}.` },
    });
    return;
  }
  if (run.status === "running") {
    const interruption = interruptionOf(step, reason, await pass.policy(run));
    if (interruption) {
      await pass.interrupt(run, interruption);
      return;
    }
  }
  if (run.status !== "running" && run.status !== "paused") return;
  await putBackToReady(pass, run, step, ref, reason);
}

/** Why the policy leaves an orphaned step of a running run to a person, or null when it is recovered. */
function interruptionOf(step: StepRecord, reason: string | null, policy: StoredPolicy): string | null {
  const why = `step "${step.stepId}" was running but ${reason}`;
  if (policy.recovery === "manual") return why;
  if (policy.effects.get(step.stepId) === "non-idempotent")
    return `step "${step.stepId}" may have partly run its side effects (${reason}); resume to run it again or mark it done`;
  if (step.recoveries >= policy.maxRecoveries)
    return `${why}; it was already recovered ${step.recoveries} times (maxRecoveries ${policy.maxRecoveries})`;
  return null;
}

/** Automatic recovery: the step is ready again at once, with no retry attempt consumed. */
async function putBackToReady(
  pass: RecoveryPass,
  run: RunRecord,
  step: StepRecord,
  ref: FencedStepRef,
  reason: string | null,
): Promise<void> {
  const { tx, now } = pass;
  const ok = await tx.updateOwnedStep(ref, {
    leaseOwner: null,
    leaseExpiresAt: null,
    status: "ready",
    readyAt: now,
    recoveries: step.recoveries + 1,
    // A crash does not consume a retry attempt.
    attempts: Math.max(step.attemptBase, step.attempts - 1),
    provenance: { kind: "recovered", reason: "crash-recovery" },
  });
  if (!ok) return;
  await tx.appendEvents([event(run, "step.recovered", now, step.stepId, { reason: reason ?? "" })]);
  pass.report.recovered.push({
    runId: run.id,
    stepId: step.stepId,
    reason: reason ?? "",
    attempt: step.attempts,
    owner: step.leaseOwner,
  });
  if (run.driverId !== null)
    await tx.updateRun(run.id, { driverId: null, updatedAt: now }, ["running", "paused"]);
}

/** Each running run with a step recovered starts a new attempt (recordAutomaticResume). */
async function resumeRecoveredRuns(pass: RecoveryPass): Promise<void> {
  const { recovered } = pass.report;
  for (const runId of new Set(recovered.map((r) => r.runId))) {
    const run = await pass.run(runId);
    const reason = recovered.find((r) => r.runId === runId)!.reason;
    if (run?.status === "running")
      await recordAutomaticResume(pass.tx, run, reason, pass.now, pass.options.spans);
  }
}

/**
 * Runs with nothing running whose driving process is gone (it died between steps or during a
 * backoff): interrupted under a manual policy, otherwise released to any worker.
 */
async function releaseDriverlessRuns(pass: RecoveryPass): Promise<void> {
  const { tx, now } = pass;
  for (const run of await tx.listRunsByStatus(["running"], 1000)) {
    if (run.driverId === null || !pass.covers(run)) continue;
    if ((await tx.runActivity(run.id)).running) continue;
    const reason = await orphanReason(tx, run, [], () => null);
    if (!reason) continue;
    const policy = await pass.policy(run);
    if (policy.recovery === "manual") await pass.interrupt(run, reason);
    else await tx.updateRun(run.id, { driverId: null, updatedAt: now }, ["running"]);
  }
}

/**
 * An automatic recovery is a resume nobody asked for: the crashed run attempt ends as interrupted
 * (with the reason) and a new attempt by "auto" begins, so the run's history shows both.
 */
async function recordAutomaticResume(
  tx: StoreTx,
  run: RunRecord,
  reason: string,
  now: number,
  spans: AttemptSpans | undefined,
): Promise<void> {
  await tx.updateRunAttempt(run.id, run.attempt, { outcome: "interrupted", endedAt: now, note: reason });
  const attempt = run.attempt + 1;
  const traceParent = spans?.begin({ run, attempt, action: "recover", trigger: "auto", reason });
  await tx.updateRun(run.id, { attempt, updatedAt: now, ...(traceParent ? { traceParent } : {}) }, [
    "running",
  ]);
  const steps = await tx.getSteps(run.id, undefined, { outputs: false });
  await tx.insertRunAttempt({
    runId: run.id,
    number: attempt,
    at: now,
    trigger: "auto",
    actor: null,
    action: "resume",
    strategy: { recovery: "auto" },
    stepsDone: steps.filter((s) => s.status === "succeeded").length,
    stepsTotal: steps.length,
    outcome: null,
    endedAt: null,
    note: reason,
  });
  await tx.appendEvents([event(run, "run.resumed", now, null, { attempt, trigger: "auto", reason })]);
}

function policyFromDefinition(workflow: LoadedWorkflow): StoredPolicy {
  const d = workflow.definition;
  return {
    recovery: d.recovery,
    maxRecoveries: d.maxRecoveries,
    effects: new Map(d.steps.map((s) => [s.id, s.effects])),
    timeouts: new Map(d.steps.map((s) => [s.id, s.timeoutMs])),
  };
}

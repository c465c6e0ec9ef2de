import type { RunRecord, StepRecord } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { judgeRunningSteps, orphanReason } from "./liveness.js";
import { type LoadedWorkflow, type StoredPolicy, storedPolicy } from "./registry.js";
import { event } from "./transitions.js";

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
export async function recoverOrphans(
  tx: StoreTx,
  options: { workflows: ReadonlyMap<string, LoadedWorkflow>; onlyRegistered: boolean },
): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], interrupted: [] };
  const now = await tx.now();
  const runs = new Map<string, RunRecord | undefined>();
  const policies = new Map<string, StoredPolicy>();
  const policyOf = async (workflowId: string): Promise<StoredPolicy> => {
    let policy = policies.get(workflowId);
    if (!policy) {
      const loaded = options.workflows.get(workflowId);
      policy = loaded ? policyFromDefinition(loaded) : storedPolicy(await tx.getWorkflow(workflowId));
      policies.set(workflowId, policy);
    }
    return policy;
  };
  const getRun = async (id: string) => {
    if (!runs.has(id)) runs.set(id, await tx.getRun(id));
    return runs.get(id);
  };
  const interrupt = async (run: RunRecord, reason: string) => {
    if (
      !(await tx.updateRun(run.id, { status: "interrupted", reason, driverId: null, updatedAt: now }, [
        "running",
      ]))
    )
      return;
    runs.set(run.id, { ...run, status: "interrupted", reason });
    await tx.updateRunAttempt(run.id, run.attempt, { outcome: "interrupted", endedAt: now, note: reason });
    await tx.appendEvents([event(run, "run.interrupted", now, null, { reason })]);
    report.interrupted.push({ runId: run.id, reason });
  };

  const running = await tx.runningSteps();
  const candidates: StepRecord[] = [];
  for (const step of running) {
    const run = await getRun(step.runId);
    if (run && (!options.onlyRegistered || options.workflows.has(run.workflowId))) candidates.push(step);
  }
  const timeouts = new Map<string, number | null>();
  for (const step of candidates) {
    const run = (await getRun(step.runId))!;
    timeouts.set(
      `${step.runId}/${step.stepId}`,
      (await policyOf(run.workflowId)).timeouts.get(step.stepId) ?? null,
    );
  }
  const judged = await judgeRunningSteps(
    tx,
    candidates,
    (s) => timeouts.get(`${s.runId}/${s.stepId}`) ?? null,
  );

  for (const { step, alive, reason } of judged) {
    if (alive) continue;
    const run = (await getRun(step.runId))!;
    const policy = await policyOf(run.workflowId);
    const why = `step "${step.stepId}" was running but ${reason}`;
    // Fenced on the epoch that was judged: when another reaper already recovered the step and a worker
    // claimed it again (a new epoch), this stale judgement changes nothing.
    const ref = { runId: step.runId, stepId: step.stepId, epoch: step.leaseEpoch, owner: step.leaseOwner };
    const release = { leaseOwner: null, leaseExpiresAt: null };
    if (run.status === "cancelled") {
      await tx.updateOwnedStep(ref, {
        ...release,
        status: "cancelled",
        error: { message: `Cancelled; ${reason}.` },
      });
      continue;
    }
    if (run.status === "running") {
      if (policy.recovery === "manual") {
        await interrupt(run, why);
        continue;
      }
      if (policy.effects.get(step.stepId) === "non-idempotent") {
        await interrupt(
          run,
          `step "${step.stepId}" may have partly run its side effects (${reason}); resume to run it again or mark it done`,
        );
        continue;
      }
      if (step.recoveries >= policy.maxRecoveries) {
        await interrupt(
          run,
          `${why}; it was already recovered ${step.recoveries} times (maxRecoveries ${policy.maxRecoveries})`,
        );
        continue;
      }
    }
    if (run.status !== "running" && run.status !== "paused") continue;
    const ok = await tx.updateOwnedStep(ref, {
      ...release,
      status: "ready",
      readyAt: now,
      recoveries: step.recoveries + 1,
      // A crash does not consume a retry attempt.
      attempts: Math.max(step.attemptBase, step.attempts - 1),
      provenance: { kind: "recovered", reason: "crash-recovery" },
    });
    if (!ok) continue;
    await tx.appendEvents([event(run, "step.recovered", now, step.stepId, { reason: reason ?? "" })]);
    report.recovered.push({
      runId: run.id,
      stepId: step.stepId,
      reason: reason ?? "",
      attempt: step.attempts,
      owner: step.leaseOwner,
    });
    if (run.driverId !== null)
      await tx.updateRun(run.id, { driverId: null, updatedAt: now }, ["running", "paused"]);
  }

  for (const runId of new Set(report.recovered.map((r) => r.runId))) {
    const run = runs.get(runId);
    if (run?.status === "running")
      await recordAutomaticResume(tx, run, report.recovered.find((r) => r.runId === runId)!.reason, now);
  }

  // Runs with nothing running whose driving process is gone (it died between steps or during a backoff).
  for (const run of await tx.listRunsByStatus(["running"], 1000)) {
    if (run.driverId === null || (options.onlyRegistered && !options.workflows.has(run.workflowId))) continue;
    if ((await tx.runActivity(run.id)).running) continue;
    const reason = await orphanReason(tx, run, [], () => null);
    if (!reason) continue;
    const policy = await policyOf(run.workflowId);
    if (policy.recovery === "manual") await interrupt(run, reason);
    else await tx.updateRun(run.id, { driverId: null, updatedAt: now }, ["running"]);
  }
  return report;
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
): Promise<void> {
  await tx.updateRunAttempt(run.id, run.attempt, { outcome: "interrupted", endedAt: now, note: reason });
  const attempt = run.attempt + 1;
  await tx.updateRun(run.id, { attempt, updatedAt: now }, ["running"]);
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

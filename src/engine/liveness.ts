import type { RunRecord, StepRecord } from "../core/types.js";
import type { StoreTx, WorkerRecord } from "../store/store.js";
import { workerLiveness } from "./owner.js";

export interface StepLiveness {
  readonly step: StepRecord;
  readonly alive: boolean;
  /** Why the step is considered orphaned: owner gone, lease expired at T, timed out. */
  readonly reason: string | null;
}

/**
 * Judge every `running` step of a run (or of all runs): a step is orphaned when its lease expired
 * (judged by the store's clock), when its owner is known dead, or when it ran far past its timeout.
 */
export async function judgeRunningSteps(
  tx: StoreTx,
  steps: readonly StepRecord[],
  timeoutOf: (step: StepRecord) => number | null,
): Promise<StepLiveness[]> {
  const now = await tx.now();
  const owners = new Map(
    (
      await tx.getWorkers([...new Set(steps.map((s) => s.leaseOwner).filter((o): o is string => o !== null))])
    ).map((w) => [w.id, w]),
  );
  return steps.map((step) => {
    const owner = step.leaseOwner ? owners.get(step.leaseOwner) : undefined;
    // A claim that never heartbeated still has the expiry stamped at claim time: no NULL slips through.
    const expiresAt = step.leaseExpiresAt ?? step.startedAt ?? 0;
    if (!owner) return { step, alive: false, reason: `its worker ${step.leaseOwner ?? "(none)"} is unknown` };
    const liveness = workerLiveness(owner, now);
    if (!liveness.alive) return { step, alive: false, reason: liveness.reason };
    if (expiresAt < now)
      return { step, alive: false, reason: `its lease expired at ${new Date(expiresAt).toISOString()}` };
    const timeout = timeoutOf(step);
    if (timeout !== null && step.startedAt !== null && now > step.startedAt + timeout + owner.leaseMs)
      return {
        step,
        alive: false,
        reason: `it timed out (running ${now - step.startedAt}ms, timeout ${timeout}ms)`,
      };
    return { step, alive: true, reason: null };
  });
}

/** Why a `running` run has nobody driving it, or null when it is live. */
export async function orphanReason(
  tx: StoreTx,
  run: RunRecord,
  steps: readonly StepRecord[],
  timeoutOf: (step: StepRecord) => number | null,
): Promise<string | null> {
  if (run.status !== "running") return null;
  const running = steps.filter((s) => s.status === "running");
  if (running.length > 0) {
    const judged = await judgeRunningSteps(tx, running, timeoutOf);
    if (judged.some((j) => j.alive)) return null;
    const first = judged[0]!;
    return `step "${first.step.stepId}" was running but ${first.reason}`;
  }
  if (run.driverId === null) return null; // waiting for any worker
  const [driver] = await tx.getWorkers([run.driverId]);
  if (!driver) return "the process driving it is unknown";
  const liveness = workerLiveness(driver as WorkerRecord, await tx.now());
  return liveness.alive ? null : `the process driving it is gone (${liveness.reason})`;
}

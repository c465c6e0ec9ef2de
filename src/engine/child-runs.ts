import type { RunRecord, RunStatus, StepWait } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { event } from "./run-events.js";

/**
 * A child run's end, as its caller sees it. A child that failed or was cancelled may still be resumed;
 * its caller's step then fails with an error naming it (engine/child-wait.ts) until one of them is.
 */
export const CHILD_ENDED: readonly RunStatus[] = ["succeeded", "failed", "cancelled"];

/**
 * A child run reached an end (succeeded, failed, cancelled): make its caller's step due now, in the
 * transaction that ended the child. Only a step parked on this very child is woken. On PostgreSQL a
 * caller parking at the same moment holds the child's row lock while it reads the child's status
 * (transitions.ts, `childEnded`), so either it sees the end or the end sees it parked: no lost wake-up.
 */
export async function wakeCaller(tx: StoreTx, child: RunRecord, now: number): Promise<void> {
  const { callerRunId, callerStepId } = child;
  if (!callerRunId || !callerStepId || !CHILD_ENDED.includes(child.status)) return;
  const [step] = await tx.getSteps(callerRunId, [callerStepId], { outputs: false });
  if (step?.status !== "ready" || step.wait?.kind !== "child" || step.wait.runId !== child.id) return;
  if (await tx.updateStep({ runId: callerRunId, stepId: callerStepId }, { readyAt: now }, ["ready"]))
    await tx.appendEvents([
      event({ id: callerRunId, tenant: child.tenant }, "step.ready", now, callerStepId, {
        childRunId: child.id,
        childStatus: child.status,
      }),
    ]);
}

/**
 * Whether the child run a parking step waits for has already ended (then the step is due at once).
 * Reads the child's row in the caller's transaction, which on PostgreSQL locks it (see wakeCaller).
 */
export async function childEnded(tx: StoreTx, wait: StepWait): Promise<boolean> {
  if (wait.kind !== "child") return false;
  const child = await tx.getRun(wait.runId);
  return !child || CHILD_ENDED.includes(child.status);
}

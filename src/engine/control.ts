import { CairnError } from "../core/errors.js";
import { allows, refusal } from "../core/run-actions.js";
import type { RunRecord } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { wakeCaller } from "./child-runs.js";
import { event } from "./run-events.js";

/**
 * Cancel: no new step starts; running steps are aborted by their owner (which sees the status on its
 * next heartbeat, or at once in the same process); the run can be resumed later. Its unfinished child
 * runs (and theirs) are cancelled with it; their ids are added to `cancelled`.
 */
export async function cancelRun(
  tx: StoreTx,
  runId: string,
  by: string,
  cancelled: string[] = [],
): Promise<RunRecord> {
  const run = await setStatus(tx, runId, "cancelled", by);
  for (const child of await tx.listRunsCalledBy(runId))
    if (allows("cancel", child.status)) {
      await cancelRun(tx, child.id, `${by} (with its caller run "${runId}")`, cancelled);
      cancelled.push(child.id);
    }
  return run;
}

/** Pause: no new step starts; running ones finish; resume continues the run. */
export async function pauseRun(tx: StoreTx, runId: string, by: string): Promise<RunRecord> {
  return setStatus(tx, runId, "paused", by);
}

async function setStatus(
  tx: StoreTx,
  runId: string,
  status: "cancelled" | "paused",
  by: string,
): Promise<RunRecord> {
  const run = await tx.getRun(runId);
  if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  const refused = refusal(status === "cancelled" ? "cancel" : "pause", run.id, run.status);
  if (refused) throw new CairnError("CONFLICT", refused, { details: { status: run.status } });
  const now = await tx.now();
  const patch = {
    status,
    updatedAt: now,
    driverId: status === "cancelled" ? null : run.driverId,
    reason: `${status} by ${by}`,
  };
  if (!(await tx.updateRun(run.id, patch, [run.status])))
    throw new CairnError("CONFLICT", `Run "${run.id}" changed while it was being ${status}.`, {
      details: { status: run.status },
    });
  await tx.updateRunAttempt(run.id, run.attempt, { outcome: status, endedAt: now });
  await tx.appendEvents([
    event(run, status === "cancelled" ? "run.cancelled" : "run.paused", now, null, { by }),
  ]);
  if (status === "cancelled") await wakeCaller(tx, { ...run, ...patch }, now);
  return { ...run, ...patch };
}

/**
 * When a process that drove runs in-process closes: its running runs become `interrupted` (waiting
 * for a resume), its paused runs are released to any process.
 */
export async function releaseDrivenRuns(
  tx: StoreTx,
  workerId: string,
  now: number,
  reason = "the process driving it closed before the run finished",
): Promise<void> {
  for (const run of await tx.listRunsByStatus(["running", "paused"], 10_000)) {
    if (run.driverId !== workerId) continue;
    if (run.status === "paused") {
      await tx.updateRun(run.id, { driverId: null, updatedAt: now }, ["paused"]);
      continue;
    }
    await tx.updateRun(run.id, { status: "interrupted", reason, driverId: null, updatedAt: now }, [
      "running",
    ]);
    await tx.updateRunAttempt(run.id, run.attempt, { outcome: "interrupted", endedAt: now, note: reason });
    await tx.appendEvents([event(run, "run.interrupted", now, null, { reason })]);
  }
}

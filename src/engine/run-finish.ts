import type { Json, RunRecord, RunStatus } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { wakeCaller } from "./child-runs.js";
import type { LoadedWorkflow } from "./registry.js";
import { event } from "./run-events.js";

/**
 * Settle a running (or paused) run once nothing is left to do: succeeded when every step succeeded,
 * failed when a failure blocks the rest. A paused run settles only as succeeded.
 */
export async function finishRunIfDone(
  tx: StoreTx,
  run: RunRecord,
  workflow: LoadedWorkflow | undefined,
  now: number,
): Promise<RunRecord | null> {
  const current = await tx.getRun(run.id);
  if (!current || (current.status !== "running" && current.status !== "paused")) return null;
  const activity = await tx.runActivity(run.id);
  if (activity.running) return null;
  if (current.status === "running" && activity.ready && !(current.failFast && activity.failed)) return null;
  if (current.status === "paused" && activity.unfinished) return null;
  const status: RunStatus = activity.unfinished ? "failed" : "succeeded";
  const patch: Partial<RunRecord> = { status, updatedAt: now, finishedAt: now, driverId: null };
  if (status === "succeeded") {
    patch.output = await runOutput(tx, run.id, workflow);
    patch.error = null;
    patch.reason = null;
  } else {
    const failed = (await tx.getSteps(run.id, undefined, { outputs: false })).filter(
      (s) => s.status === "failed" || s.status === "cancelled",
    );
    const first = failed[0];
    patch.error = first
      ? { message: `Step "${first.stepId}" failed: ${first.error?.message ?? "no message"}` }
      : { message: "The run could not finish: no step can run." };
  }
  if (!(await tx.updateRun(run.id, patch, [current.status]))) return null;
  await tx.updateRunAttempt(run.id, current.attempt, { outcome: status, endedAt: now });
  await tx.appendEvents([event(current, status === "succeeded" ? "run.succeeded" : "run.failed", now)]);
  const settled = { ...current, ...patch } as RunRecord;
  await wakeCaller(tx, settled, now);
  return settled;
}

/** One sink step: its output. Several: an object of their outputs by step id. */
async function runOutput(tx: StoreTx, runId: string, workflow: LoadedWorkflow | undefined): Promise<Json> {
  const sinks = workflow?.sinks ?? [];
  const rows = await tx.getSteps(runId, sinks.length > 0 ? sinks : undefined);
  if (sinks.length === 1) return rows[0]?.output ?? null;
  const output: Record<string, Json> = {};
  for (const row of rows) output[row.stepId] = row.output;
  return output;
}

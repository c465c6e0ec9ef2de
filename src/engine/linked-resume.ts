import type { LinkedRun } from "../core/resume-plan.js";
import { RESUMABLE_RUN_STATUSES, type RunRecord } from "../core/types.js";
import type { Store, StoreTx } from "../store/store.js";
import { retiredChildRuns } from "./child-wait.js";

/**
 * The runs a resume of `runId` resumes with it, so that a caller and the child run it waits for
 * continue together:
 *
 * - up: when this run is a child whose end failed its caller (the caller is `failed`, its calling
 *   step `failed`), the caller is resumed too — as `resume <caller>` would — unless it needs secrets
 *   this request does not carry (then resume it yourself; it reuses the child once that succeeded);
 * - down: from the topmost run resumed, every child run in a resumable status (failed, cancelled,
 *   paused, interrupted) whose calling step has not succeeded, and theirs.
 *
 * A child a retry of its calling step retired (engine/child-wait.ts) is no longer the step's: it
 * resumes neither way.
 *
 * Returned in id order (the order in which PostgreSQL transactions lock runs), without `runId`.
 */
export async function linkedRuns(
  store: Store,
  runId: string,
  secretNames: readonly string[],
): Promise<LinkedRun[]> {
  return store.read(async (tx) => {
    const linked: LinkedRun[] = [];
    let top = await tx.getRun(runId);
    while (top?.callerRunId && top.callerStepId) {
      const caller = await tx.getRun(top.callerRunId);
      if (caller?.status !== "failed" || !caller.secretNames.every((n) => secretNames.includes(n))) break;
      const [step] = await tx.getSteps(caller.id, [top.callerStepId], { outputs: false });
      if (step?.status !== "failed" || (await retired(tx, caller.id, step.stepId)).has(top.id)) break;
      linked.push({ runId: caller.id, relation: "caller" });
      top = caller;
    }
    const queue: RunRecord[] = top ? [top] : [];
    while (queue.length > 0) {
      const run = queue.shift()!;
      const children = await tx.listRunsCalledBy(run.id);
      if (children.length === 0) continue;
      const steps = new Map(
        (await tx.getSteps(run.id, undefined, { outputs: false })).map((s) => [s.stepId, s.status]),
      );
      for (const child of children) {
        if (child.id === runId) queue.push(child);
        if (!RESUMABLE_RUN_STATUSES.includes(child.status) || child.id === runId) continue;
        const stepId = child.callerStepId ?? "";
        if (steps.get(stepId) === "succeeded" || (await retired(tx, run.id, stepId)).has(child.id)) continue;
        linked.push({ runId: child.id, relation: "child" });
        queue.push(child);
      }
    }
    return linked.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  });
}

function retired(tx: StoreTx, runId: string, stepId: string): Promise<Set<string>> {
  return tx.listMemos({ runId, stepId }).then(retiredChildRuns);
}

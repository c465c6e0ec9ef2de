import type { RunAttemptRecord, RunRecord, StepRecord } from "../core/types.js";
import type { Store } from "../store/store.js";
import { orphanReason } from "./liveness.js";
import type { LoadedWorkflow } from "./registry.js";

/** A run as a reader sees it: a `running` run whose owner is dead is shown as `interrupted`. */
export interface RunView {
  run: RunRecord;
  steps: StepRecord[];
  /** Set when the stored status says running but nobody is driving the run any more. */
  orphaned: string | null;
}

export async function viewRun(
  store: Store,
  runId: string,
  workflow: LoadedWorkflow | undefined,
): Promise<RunView | undefined> {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const steps = await store.getSteps(runId);
  if (run.status !== "running") return { run, steps, orphaned: null };
  const reason = await store.read((tx) =>
    orphanReason(tx, run, steps, (s) => workflow?.steps.get(s.stepId)?.timeoutMs ?? null),
  );
  return reason
    ? { run: { ...run, status: "interrupted", reason }, steps, orphaned: reason }
    : { run, steps, orphaned: null };
}

/**
 * A run's history as a reader sees it: the open attempt of a run whose process died ends
 * `interrupted`, with the reason, as the run itself is shown (the store records it at the resume).
 */
export async function viewHistory(
  store: Store,
  runId: string,
  workflow: LoadedWorkflow | undefined,
): Promise<RunAttemptRecord[]> {
  const attempts = await store.listRunAttempts(runId);
  const last = attempts.at(-1);
  if (!last || last.outcome !== null) return attempts;
  const view = await viewRun(store, runId, workflow);
  if (!view?.orphaned) return attempts;
  return [...attempts.slice(0, -1), { ...last, outcome: "interrupted", note: view.orphaned }];
}

import type { RunRecord, StepRecord } from "../core/types.js";
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

/** Statuses in which a run waits for nobody: finished, paused, or waiting for a person. */
export function isSettled(run: RunRecord): boolean {
  return run.status !== "running";
}

import { firstLine } from "../core/errors.js";
import { topologicalOrder } from "../core/graph.js";
import type { RunRecord } from "../core/types.js";
import type { StoreReader } from "../store/store.js";

export interface LatestFailed {
  run: RunRecord;
  /** Failed steps in topological order, ties by id; each with its label and first error line. */
  failed: Array<{ stepId: string; label: string | null; error: string }>;
}

/**
 * The latest failed run of a workflow (optionally of one tenant) and its failed steps. A failed run
 * whose lineage was healed (a rerun, restart or resume of that lineage succeeded after it started)
 * is not offered: there is nothing left to fix there.
 */
export async function latestFailed(
  store: StoreReader,
  workflowId: string,
  tenant?: string,
): Promise<LatestFailed | undefined> {
  const run = await store.latestFailedRun(workflowId, tenant);
  if (!run) return undefined;
  const steps = await store.getSteps(run.id);
  const graph = ((await store.getWorkflow(workflowId))?.graph ?? { steps: [] }) as {
    steps: Array<{ id: string; label: string | null }>;
  };
  const labels = new Map(graph.steps.map((s) => [s.id, s.label]));
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const order = topologicalOrder(
    steps.map((s) => ({ id: s.stepId, needs: s.needs.filter((n) => byId.has(n)) })),
  );
  return {
    run,
    failed: order
      .map((id) => byId.get(id)!)
      .filter((s) => s.status === "failed")
      .map((s) => ({
        stepId: s.stepId,
        label: labels.get(s.stepId) ?? null,
        error: firstLine(s.error?.message),
      })),
  };
}

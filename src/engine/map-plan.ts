import type { ResumePlan } from "../core/resume-plan.js";
import type { StoreTx } from "../store/store.js";
import type { LoadedWorkflow } from "./registry.js";

/**
 * A resume plan's map steps that execute again in place keep their succeeded items: each gets its
 * item counts, and its `why` says what happens to the items ("map: 9 succeeded kept, 1 failed to
 * retry"). A step executed again because its definition or upstream changed ("rerun") forgets its
 * items (resume deletes them, like its memos), so it gets no counts.
 */
export async function addItemCounts(
  tx: StoreTx,
  runId: string,
  plan: ResumePlan,
  workflow: LoadedWorkflow,
): Promise<void> {
  for (const step of plan.steps) {
    if (!workflow.steps.get(step.stepId)?.map) continue;
    if (step.action !== "retry" && step.action !== "reset") continue;
    const items = await tx.countItems(runId, step.stepId);
    if (items.succeeded + items.failed === 0) continue;
    step.items = items;
    step.why += `; map: ${items.succeeded} succeeded kept, ${items.failed} failed to retry`;
  }
}

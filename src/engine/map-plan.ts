import type { PlanAction, PlanStep, ResumePlan } from "../core/resume-plan.js";
import type { StoreTx } from "../store/store.js";
import type { LoadedWorkflow } from "./registry.js";

const EXECUTES: ReadonlySet<PlanAction> = new Set(["retry", "reset", "run", "rerun"]);

/**
 * Whether a map step of a plan starts from its recorded items (of the run, or of a rerun's source):
 * on resume, when it executes again in place (retry, reset); on `rerun --failed` or a rerun of chosen
 * items (`rerun` true), when it is a selected step. In both cases only while every step it needs is kept, so that its list of items is
 * the one its items were recorded for; a map whose definition or upstream changed runs every item.
 */
export function startsFromItems(
  plan: ResumePlan,
  step: PlanStep,
  workflow: LoadedWorkflow,
  rerun: boolean,
): boolean {
  const definition = workflow.steps.get(step.stepId);
  if (!definition?.map || plan.changed.includes(step.stepId)) return false;
  const actions = new Map(plan.steps.map((s) => [s.stepId, s.action]));
  if (!definition.needs.every((need) => actions.get(need) === "keep")) return false;
  return rerun
    ? step.cause === "selected" && step.action !== "keep"
    : step.action === "retry" || step.action === "reset";
}

/**
 * Whether a rerun's map step matches its source's items by key: the map runs again only because a
 * step upstream of it does (its own definition unchanged) and names its items by a `key`. Its list
 * is known only once the upstream ran, so the rerun starts with every succeeded item of the source
 * and the map itself reuses those whose key is still listed, runs new keys and drops missing ones.
 * Without a key an item is its position, which says nothing once the list changed: every item runs.
 */
export function matchesItemsByKey(plan: ResumePlan, step: PlanStep, workflow: LoadedWorkflow): boolean {
  const definition = workflow.steps.get(step.stepId);
  return (
    !!definition?.map?.key &&
    step.cause === "downstream" &&
    EXECUTES.has(step.action) &&
    !plan.changed.includes(step.stepId)
  );
}

/** Map steps a resume executes without their recorded items: resume deletes those items, as it does memos. */
export function staleItemSteps(plan: ResumePlan, workflow: LoadedWorkflow): string[] {
  return plan.steps
    .filter((s) => workflow.steps.get(s.stepId)?.map && EXECUTES.has(s.action))
    .filter((s) => !startsFromItems(plan, s, workflow, false))
    .map((s) => s.stepId);
}

/**
 * Give each map step that starts from its recorded items (of `runId`: the run itself, or a rerun's
 * source) its item counts, and say in its `why` what happens to the items: "map: 9 succeeded kept,
 * 1 failed to retry" (a resume), "map: 9 succeeded reused, 1 failed to retry" (a rerun), "map: 7
 * succeeded reused, 2 chosen to run again, 1 failed to retry" (a rerun of chosen items). `rerun` is
 * null for a resume, else the rerun's chosen item keys (none for `--failed`).
 */
export async function addItemCounts(
  tx: StoreTx,
  runId: string,
  plan: ResumePlan,
  workflow: LoadedWorkflow,
  rerun: readonly string[] | null = null,
): Promise<void> {
  for (const step of plan.steps) {
    if (!startsFromItems(plan, step, workflow, rerun !== null)) continue;
    const items = await tx.countItems(runId, step.stepId);
    if (items.succeeded + items.failed === 0) continue;
    step.items = items;
    const chosen = rerun?.length
      ? (await tx.getItems(runId, step.stepId, { status: "succeeded" })).filter((i) => rerun.includes(i.key))
          .length
      : 0;
    const again = rerun?.length ? `, ${chosen} chosen to run again` : "";
    step.why += `; map: ${items.succeeded - chosen} succeeded ${rerun ? "reused" : "kept"}${again}, ${items.failed} failed to retry`;
  }
}

/** Say in the `why` of each map step that matches its items by key what it will reuse. */
export async function addKeyMatching(
  tx: StoreTx,
  sourceRunId: string,
  plan: ResumePlan,
  workflow: LoadedWorkflow,
): Promise<void> {
  for (const step of plan.steps) {
    if (!matchesItemsByKey(plan, step, workflow)) continue;
    const { succeeded } = await tx.countItems(sourceRunId, step.stepId);
    if (succeeded > 0)
      step.why += `; map: items matched by key once its list is known: of ${succeeded} succeeded, listed keys reused, new keys run, missing keys dropped`;
  }
}

/**
 * Copy into a new rerun the succeeded items of its source's map steps that start from them: with
 * `fromItems` (`rerun --failed`, chosen items) the selected maps (see startsFromItems), except the
 * chosen keys; always, the maps downstream of the selection that match items by key.
 */
export async function reuseItems(
  tx: StoreTx,
  plan: ResumePlan,
  workflow: LoadedWorkflow,
  from: { sourceRunId: string; runId: string; except: readonly string[]; fromItems: boolean },
): Promise<void> {
  for (const step of plan.steps) {
    const source = { runId: from.sourceRunId, stepId: step.stepId };
    if (from.fromItems && startsFromItems(plan, step, workflow, true))
      await tx.copySucceededItems(source, from.runId, from.except);
    else if (matchesItemsByKey(plan, step, workflow)) await tx.copySucceededItems(source, from.runId);
  }
}

import type { RunRecord, StepRecord } from "../core/types.js";
import type { ActivityFeed } from "./activity.js";
import type { OutcomeResult, StepOutcome } from "./transitions.js";

/** Which workflow an outcome belongs to and how long its execution took, until its commit is told. */
export interface OutcomeTiming {
  readonly workflowId: string;
  readonly durationMs: number;
}

/** Tell the feed about steps claimed, counted per workflow. */
export function reportClaims(
  activity: ActivityFeed | undefined,
  claimed: readonly StepRecord[],
  runs: ReadonlyMap<string, RunRecord>,
): void {
  if (!activity || claimed.length === 0) return;
  const byWorkflow = new Map<string, number>();
  for (const step of claimed) {
    const workflowId = runs.get(step.runId)?.workflowId ?? "";
    byWorkflow.set(workflowId, (byWorkflow.get(workflowId) ?? 0) + 1);
  }
  for (const [workflowId, count] of byWorkflow) activity.emit({ kind: "claimed", workflowId, count });
}

/** Tell the feed about committed outcomes: completions with their durations, and fenced (rejected) ones. */
export function reportOutcomes(
  activity: ActivityFeed | undefined,
  result: OutcomeResult,
  outcomes: readonly StepOutcome[],
  timings: WeakMap<StepOutcome, OutcomeTiming>,
): void {
  if (!activity) return;
  const rejected = new Set(result.rejected);
  for (const outcome of outcomes) {
    if (rejected.has(outcome.ref)) {
      activity.emit({ kind: "fenced", write: "outcome" });
      continue;
    }
    const timing = timings.get(outcome);
    // A step handed back (its lease could not be renewed) or parked (a sleep, a signal) did not
    // complete: it runs again.
    if (!timing || outcome.kind === "released" || outcome.kind === "waiting") continue;
    const kind = outcome.kind === "failed" && outcome.retryAt != null ? "retrying" : outcome.kind;
    activity.emit({ kind: "completed", ...timing, stepId: outcome.ref.stepId, outcome: kind });
  }
}

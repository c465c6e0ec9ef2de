/**
 * What this process's executor and reaper did, told as it happens: the source of the in-process
 * counters behind `/metrics` (claims, completions, fenced writes, recoveries, step durations). Each
 * process tells only its own activity; Prometheus sums the instances.
 */
export type Activity =
  /** Steps this executor claimed, per workflow. */
  | { readonly kind: "claimed"; readonly workflowId: string; readonly count: number }
  /** An execution's outcome was committed; `durationMs` from claim to the handler's end. */
  | {
      readonly kind: "completed";
      readonly workflowId: string;
      readonly stepId: string;
      readonly outcome: StepOutcomeKind;
      readonly durationMs: number;
    }
  /**
   * A write refused because the step's lease had moved on (its epoch is stale): an outcome that is
   * dropped, or a heartbeat that finds the step taken by another worker.
   */
  | { readonly kind: "fenced"; readonly write: "outcome" | "heartbeat" }
  /** A reaper pass: steps put back to ready, runs interrupted for a person. */
  | { readonly kind: "recovered"; readonly recovered: number; readonly interrupted: number };

export const STEP_OUTCOME_KINDS = ["succeeded", "retrying", "failed", "cancelled"] as const;
export type StepOutcomeKind = (typeof STEP_OUTCOME_KINDS)[number];

export type ActivityListener = (activity: Activity) => void;

/** Listeners of one Cairn instance. A listener that throws is not allowed to break the engine. */
export class ActivityFeed {
  readonly #listeners = new Set<ActivityListener>();

  /** Returns a function that removes the listener. */
  on(listener: ActivityListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(activity: Activity): void {
    for (const listener of this.#listeners) {
      try {
        listener(activity);
      } catch {
        // Metrics are a view; a broken one must not stop a step from being recorded.
      }
    }
  }
}

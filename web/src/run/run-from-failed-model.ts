import type { Step } from "../api/types";
import { firstLine } from "../format";
import { topologicalOrder } from "./graph";

export interface FailedNode {
  stepId: string;
  label: string | null;
  /** First line of the step's error. */
  error: string;
}

export type MenuItem =
  | {
      kind: "failed";
      key: string;
      stepId: string;
      text: string;
      detail: string;
      /** Why the rerun plan refuses a rerun from this node alone, or null. */
      refusal: string | null;
    }
  | { kind: "pick"; key: string; text: string };

export interface SplitButtonState {
  primary: { label: string; disabled: boolean; busy: boolean; reason: string | null };
  toggle: { disabled: boolean; reason: string | null };
  items: MenuItem[];
}

/** The failed steps of a run in a deterministic order: topological, ties by step id. */
export function failedNodes(steps: readonly Step[]): FailedNode[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  return topologicalOrder(steps)
    .map((id) => byId.get(id)!)
    .filter((s) => s.status === "failed")
    .map((s) => ({ stepId: s.id, label: s.label, error: firstLine(s.error?.message) || "no message" }));
}

/**
 * The "Run from failed node" split button in every state. Whether the run's status allows a rerun
 * is the API's to say (`actions.rerun`).
 */
export function runFromFailedState(input: {
  /** Why the run's status refuses a rerun (the API's `actions.rerun.reason`), or null. */
  rerunRefusal: string | null;
  failed: readonly FailedNode[];
  /** A rerun request is in flight. */
  busy: boolean;
  /** Another action is in flight. */
  locked: boolean;
  /** Failed nodes the rerun plan refuses to rerun from alone, with the plan's reason. */
  refusals?: ReadonlyMap<string, string>;
}): SplitButtonState {
  const { failed, busy, locked } = input;
  const finishedReason = input.rerunRefusal;
  const primaryReason =
    finishedReason ??
    (failed.length === 0
      ? "This run has no failed nodes. Pick nodes with “Rerun from selected nodes…”, or restart it."
      : null);
  const items: MenuItem[] = failed.map((f) => ({
    kind: "failed",
    key: `failed:${f.stepId}`,
    stepId: f.stepId,
    text: `Rerun from ${f.label ?? f.stepId}`,
    detail: f.error,
    refusal: input.refusals?.get(f.stepId) ?? null,
  }));
  items.push({ kind: "pick", key: "pick", text: "Rerun from selected nodes…" });
  return {
    primary: {
      label: busy ? "Rerunning…" : "Rerun all failed nodes",
      disabled: busy || locked || primaryReason !== null,
      busy,
      reason: primaryReason,
    },
    toggle: { disabled: busy || locked || finishedReason !== null, reason: finishedReason },
    items,
  };
}

import type { CairnEvent, StepStatus } from "../api/types";
import { RUN_STATUS_AFTER } from "../runs/run-events";

/** The step status each step event leaves behind (what the next fetch of the run will say). */
const STEP_STATUS_AFTER: Partial<Record<CairnEvent["type"], StepStatus>> = {
  "step.ready": "ready",
  "step.started": "running",
  "step.succeeded": "succeeded",
  "step.failed": "failed",
  "step.retrying": "ready",
  "step.waiting": "ready",
  "step.cancelled": "cancelled",
  "step.reset": "pending",
  "step.reused": "succeeded",
  "step.recovered": "ready",
  "step.marked-done": "succeeded",
};

/**
 * Step statuses learned from events newer than the last fetch of the run, so colours change at once.
 * The run's own status is not overridden: it comes with the actions it allows (`actions`), so both
 * wait for the fetch that a run event triggers at once (see `changesRunStatus`).
 */
export interface LiveOverrides {
  steps: Map<string, { status: StepStatus; seq: number }>;
}

export const NO_OVERRIDES: LiveOverrides = { steps: new Map() };

/** Whether any of these events changes the run's status (the run is then fetched again at once). */
export function changesRunStatus(events: readonly CairnEvent[]): boolean {
  return events.some((e) => RUN_STATUS_AFTER[e.type] !== undefined);
}

export function applyEvents(
  current: LiveOverrides,
  events: readonly CairnEvent[],
  afterSeq: number,
): LiveOverrides {
  const steps = new Map(current.steps);
  for (const e of events) {
    if (e.seq <= afterSeq) continue;
    const stepStatus = STEP_STATUS_AFTER[e.type];
    if (stepStatus && e.stepId) steps.set(e.stepId, { status: stepStatus, seq: e.seq });
  }
  return { steps };
}

/** Forget what a fetch that started after `seq` already knows. */
export function dropUpTo(current: LiveOverrides, seq: number): LiveOverrides {
  const steps = new Map([...current.steps].filter(([, v]) => v.seq > seq));
  return { steps };
}

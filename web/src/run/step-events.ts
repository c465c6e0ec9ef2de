import type { CairnEvent, RunStatus, StepStatus } from "../api/types";
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

/** Statuses learned from events newer than the last fetch of the run, so colours change at once. */
export interface LiveOverrides {
  run: { status: RunStatus; seq: number } | null;
  steps: Map<string, { status: StepStatus; seq: number }>;
}

export const NO_OVERRIDES: LiveOverrides = { run: null, steps: new Map() };

export function applyEvents(
  current: LiveOverrides,
  events: readonly CairnEvent[],
  afterSeq: number,
): LiveOverrides {
  let run = current.run;
  const steps = new Map(current.steps);
  for (const e of events) {
    if (e.seq <= afterSeq) continue;
    const runStatus = RUN_STATUS_AFTER[e.type];
    if (runStatus) run = { status: runStatus, seq: e.seq };
    const stepStatus = STEP_STATUS_AFTER[e.type];
    if (stepStatus && e.stepId) steps.set(e.stepId, { status: stepStatus, seq: e.seq });
  }
  return { run, steps };
}

/** Forget what a fetch that started after `seq` already knows. */
export function dropUpTo(current: LiveOverrides, seq: number): LiveOverrides {
  const steps = new Map([...current.steps].filter(([, v]) => v.seq > seq));
  return { run: current.run && current.run.seq > seq ? current.run : null, steps };
}

import type { CairnEvent, RunStatus } from "../api/types";

/** The run status each run-level event leaves behind. */
export const RUN_STATUS_AFTER: Partial<Record<CairnEvent["type"], RunStatus>> = {
  "run.created": "running",
  "run.resumed": "running",
  "run.succeeded": "succeeded",
  "run.failed": "failed",
  "run.cancelled": "cancelled",
  "run.paused": "paused",
  "run.interrupted": "interrupted",
};

/** The last run-level event of each run in a batch (events arrive in seq order). */
export function lastRunEvents(events: readonly CairnEvent[]): Map<string, CairnEvent> {
  const last = new Map<string, CairnEvent>();
  for (const e of events) if (RUN_STATUS_AFTER[e.type]) last.set(e.runId, e);
  return last;
}

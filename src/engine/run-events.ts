import type { Json, NewEvent, RunRecord } from "../core/types.js";

/** A run's (or one of its steps') event, as the state machine and the actions record it. */
export function event(
  run: Pick<RunRecord, "id" | "tenant">,
  type: NewEvent["type"],
  at: number,
  stepId: string | null = null,
  data: Json | null = null,
): NewEvent {
  return { runId: run.id, tenant: run.tenant, stepId, type, at, data };
}

import type { ItemRecord, ItemStatus, Json, StepError } from "../core/types.js";

/** A `step_items` row as both stores return it (JSON as text, times as numbers or bigint strings). */
export function itemFromRow(r: Record<string, unknown>): ItemRecord {
  return {
    runId: r.run_id as string,
    stepId: r.step_id as string,
    key: r.item_key as string,
    index: Number(r.item_index),
    status: r.status as ItemStatus,
    attempts: Number(r.attempts),
    output: r.output === null ? null : (JSON.parse(r.output as string) as Json),
    error: r.error === null ? null : (JSON.parse(r.error as string) as StepError),
    startedAt: Number(r.started_at),
    finishedAt: Number(r.finished_at),
  };
}

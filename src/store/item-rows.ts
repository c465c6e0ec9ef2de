import type { ItemRecord, ItemStatus, Json, StepError } from "../core/types.js";
import type { ItemSummary } from "./store.js";

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
    fromRunId: (r.from_run_id as string | null) ?? null,
  };
}

/** Item summaries from the rows of the two summary queries (counts by step and status; first failures). */
export function summaries(
  counts: readonly Record<string, unknown>[],
  first: readonly Record<string, unknown>[],
): ItemSummary[] {
  const byStep = new Map<string, ItemSummary>();
  for (const r of counts) {
    const stepId = r.step_id as string;
    let summary = byStep.get(stepId);
    if (!summary) {
      summary = { stepId, counts: { succeeded: 0, failed: 0 }, firstFailed: null };
      byStep.set(stepId, summary);
    }
    summary.counts[r.status as ItemStatus] = Number(r.n);
  }
  for (const r of first) {
    const summary = byStep.get(r.step_id as string);
    const error = r.error === null ? null : (JSON.parse(r.error as string) as StepError);
    if (summary) summary.firstFailed = { key: r.item_key as string, message: error?.message ?? "" };
  }
  return [...byStep.values()];
}

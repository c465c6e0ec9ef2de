import type { Json } from "../../core/types.js";
import type { FencedStepRef, StepRef } from "../store.js";
import { placeholders, RUN_KEY, type StatementCache } from "./statements.js";

/** Memos: values a step keeps by key while it runs, so that a re-run can reuse them. */

export function getMemo(sql: StatementCache, ref: StepRef, key: string): { value: Json } | undefined {
  const row = sql.one(
    "SELECT value FROM memos WHERE run_id = ? AND step_id = ? AND key = ?",
    ref.runId,
    ref.stepId,
    key,
  );
  return row && { value: JSON.parse(row.value as string) as Json };
}

/** Fenced: the memo is written only while the writer still holds the step's lease. */
export function putMemo(sql: StatementCache, ref: FencedStepRef, key: string, value: Json): boolean {
  const changes = sql.run(
    `INSERT OR REPLACE INTO memos (run_id, step_id, key, value, at)
     SELECT ?, ?, ?, ?, ? WHERE EXISTS (
       SELECT 1 FROM steps WHERE run_key = ${RUN_KEY} AND step_id = ? AND lease_epoch = ? AND lease_owner IS ? AND status = 'running')`,
    ref.runId,
    ref.stepId,
    key,
    JSON.stringify(value),
    Date.now(),
    ref.runId,
    ref.stepId,
    ref.epoch,
    ref.owner,
  );
  return changes === 1;
}

export function deleteMemos(sql: StatementCache, runId: string, stepIds: readonly string[]): void {
  if (stepIds.length === 0) return;
  sql.run(
    `DELETE FROM memos WHERE run_id = ? AND step_id IN (${placeholders(stepIds.length)})`,
    runId,
    ...stepIds,
  );
}

export function listMemos(
  sql: StatementCache,
  ref: StepRef,
): Array<{ key: string; value: Json; at: number }> {
  return sql
    .all(
      "SELECT key, value, at FROM memos WHERE run_id = ? AND step_id = ? ORDER BY at",
      ref.runId,
      ref.stepId,
    )
    .map((r) => ({ key: r.key as string, value: JSON.parse(r.value as string) as Json, at: Number(r.at) }));
}

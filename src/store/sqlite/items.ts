import type { ItemRecord, ItemStatus } from "../../core/types.js";
import { itemFromRow, summaries } from "../item-rows.js";
import type { FencedStepRef, ItemFilter, ItemSummary, StepRef } from "../store.js";
import { placeholders, RUN_KEY, type StatementCache } from "./statements.js";

/** Items of map steps: one row per settled item, keyed (run, step, item key). */

const INSERT_ITEM = `INSERT OR REPLACE INTO step_items
  (run_id, step_id, item_key, item_index, status, attempts, output, error, started_at, finished_at, from_run_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function owns(sql: StatementCache, ref: FencedStepRef): boolean {
  return !!sql.one(
    `SELECT 1 FROM steps WHERE run_key = ${RUN_KEY} AND step_id = ? AND lease_epoch = ? AND lease_owner IS ? AND status = 'running'`,
    ref.runId,
    ref.stepId,
    ref.epoch,
    ref.owner,
  );
}

/** Fenced like a memo: the whole batch is written only while the writer holds the step's lease. */
export function recordItems(sql: StatementCache, ref: FencedStepRef, items: readonly ItemRecord[]): boolean {
  if (!owns(sql, ref)) return false;
  for (const item of items)
    sql.run(
      INSERT_ITEM,
      ref.runId,
      ref.stepId,
      item.key,
      item.index,
      item.status,
      item.attempts,
      item.output === null ? null : JSON.stringify(item.output),
      item.error === null ? null : JSON.stringify(item.error),
      item.startedAt,
      item.finishedAt,
      item.fromRunId,
    );
  return true;
}

export function getItems(
  sql: StatementCache,
  runId: string,
  stepId: string,
  filter: ItemFilter = {},
): ItemRecord[] {
  const where = ["run_id = ?", "step_id = ?"];
  const params: unknown[] = [runId, stepId];
  if (filter.status !== undefined) {
    where.push("status = ?");
    params.push(filter.status);
  }
  if (filter.afterIndex !== undefined) {
    where.push("item_index > ?");
    params.push(filter.afterIndex);
  }
  const limit = filter.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
  return sql
    .all(`SELECT * FROM step_items WHERE ${where.join(" AND ")} ORDER BY item_index${limit}`, ...params)
    .map(itemFromRow);
}

export function countItems(sql: StatementCache, runId: string, stepId: string): Record<ItemStatus, number> {
  const counts: Record<ItemStatus, number> = { succeeded: 0, failed: 0 };
  for (const r of sql.all(
    "SELECT status, count(*) AS n FROM step_items WHERE run_id = ? AND step_id = ? GROUP BY status",
    runId,
    stepId,
  ))
    counts[r.status as ItemStatus] = Number(r.n);
  return counts;
}

/** A rerun's map step starts with the succeeded items of its source run's, naming the run that executed each. */
export function copySucceededItems(
  sql: StatementCache,
  from: StepRef,
  toRunId: string,
  except: readonly string[],
): number {
  return sql.run(
    `INSERT OR REPLACE INTO step_items
       (run_id, step_id, item_key, item_index, status, attempts, output, error, started_at, finished_at, from_run_id)
     SELECT ?, step_id, item_key, item_index, status, attempts, output, error, started_at, finished_at,
       COALESCE(from_run_id, run_id)
     FROM step_items WHERE run_id = ? AND step_id = ? AND status = 'succeeded'
       AND item_key NOT IN (SELECT value FROM json_each(?))`,
    toRunId,
    from.runId,
    from.stepId,
    JSON.stringify(except),
  );
}

export function summariseItems(sql: StatementCache, runId: string): ItemSummary[] {
  const counts = sql.all(
    "SELECT step_id, status, count(*) AS n FROM step_items WHERE run_id = ? GROUP BY step_id, status",
    runId,
  );
  const first = sql.all(
    `SELECT step_id, item_key, error FROM step_items WHERE run_id = ? AND (step_id, item_index) IN (
       SELECT step_id, min(item_index) FROM step_items WHERE run_id = ? AND status = 'failed' GROUP BY step_id)`,
    runId,
    runId,
  );
  return summaries(counts, first);
}

export function dropItems(sql: StatementCache, ref: FencedStepRef, keys: readonly string[]): boolean {
  if (!owns(sql, ref)) return false;
  sql.run(
    "DELETE FROM step_items WHERE run_id = ? AND step_id = ? AND item_key IN (SELECT value FROM json_each(?))",
    ref.runId,
    ref.stepId,
    JSON.stringify(keys),
  );
  return true;
}

export function deleteItems(sql: StatementCache, runId: string, stepIds: readonly string[]): void {
  if (stepIds.length === 0) return;
  sql.run(
    `DELETE FROM step_items WHERE run_id = ? AND step_id IN (${placeholders(stepIds.length)})`,
    runId,
    ...stepIds,
  );
}

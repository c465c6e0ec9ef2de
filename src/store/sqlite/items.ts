import type { ItemRecord, ItemStatus } from "../../core/types.js";
import { itemFromRow, summaries } from "../item-rows.js";
import type { FencedStepRef, ItemFilter, ItemSummary, StepRef } from "../store.js";
import { placeholders, type Row, RUN_KEY, type StatementCache } from "./statements.js";

/**
 * Items of map steps: one row per settled item, clustered on (run key, step, item index). The key is
 * stored only when it is not the index written in decimal (`item_key` null: every item of a map
 * without `key`); `KEY` reads it back either way. Only failed items are in the status index.
 */

const KEY = "coalesce(item_key, CAST(item_index AS TEXT))";
const COLUMNS = `step_id, ${KEY} AS item_key, item_index, status, attempts, output, error, started_at, finished_at, from_run_id`;

const INSERT_ITEM = `INSERT OR REPLACE INTO step_items
  (run_key, step_id, item_index, status, attempts, output, error, started_at, finished_at, item_key, from_run_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
/** The row holding a key, wherever it is: stored as itself, or as the index it names. */
const DELETE_STORED_KEY = "DELETE FROM step_items WHERE run_key = ? AND step_id = ? AND item_key = ?";
const DELETE_INDEX_KEY =
  "DELETE FROM step_items WHERE run_key = ? AND step_id = ? AND item_index = ? AND item_key IS NULL";

/** The index a key names when it is an index in decimal ("7"), else null ("07", "doc-7"). */
function indexNamed(key: string): number | null {
  if (!/^(0|[1-9]\d{0,14})$/.test(key)) return null;
  return Number(key);
}

/** The run's key when the writer holds the step's lease (a running step of that epoch and owner). */
function ownedRunKey(sql: StatementCache, ref: FencedStepRef): number | null {
  const row = sql.one(
    `SELECT s.run_key FROM runs r JOIN steps s ON s.run_key = r.key
     WHERE r.id = ? AND s.step_id = ? AND s.lease_epoch = ? AND s.lease_owner IS ? AND s.status = 'running'`,
    ref.runId,
    ref.stepId,
    ref.epoch,
    ref.owner,
  );
  return row ? Number(row.run_key) : null;
}

/** Forget the recorded item with this key (at most one row: its own, or the one at the index it names). */
function deleteKey(sql: StatementCache, runKey: number, stepId: string, key: string): void {
  sql.run(DELETE_STORED_KEY, runKey, stepId, key);
  const index = indexNamed(key);
  if (index !== null) sql.run(DELETE_INDEX_KEY, runKey, stepId, index);
}

/**
 * Fenced like a memo: the whole batch is written only while the writer holds the step's lease. An
 * item replaces the recorded one with its key (an item whose index changed, in a rerun matching
 * items by key, leaves no row behind) and the one at its index.
 */
export function recordItems(sql: StatementCache, ref: FencedStepRef, items: readonly ItemRecord[]): boolean {
  const runKey = ownedRunKey(sql, ref);
  if (runKey === null) return false;
  for (const item of items) {
    const storedKey = item.key === String(item.index) ? null : item.key;
    // The insert replaces the row at the item's index and the row storing its key; what is left is
    // the other form of the key: stored as itself at another index, or as the index it names.
    if (storedKey === null) sql.run(DELETE_STORED_KEY, runKey, ref.stepId, item.key);
    else {
      const named = indexNamed(item.key);
      if (named !== null) sql.run(DELETE_INDEX_KEY, runKey, ref.stepId, named);
    }
    sql.run(
      INSERT_ITEM,
      runKey,
      ref.stepId,
      item.index,
      item.status,
      item.attempts,
      item.output === null ? null : JSON.stringify(item.output),
      item.error === null ? null : JSON.stringify(item.error),
      item.startedAt,
      item.finishedAt,
      storedKey,
      item.fromRunId,
    );
  }
  return true;
}

const fromRow = (runId: string) => (r: Row) => itemFromRow({ ...r, run_id: runId });

/**
 * The statement listing a map's items, and its parameters after (run id, step id). Failed items are
 * read through their own index, named: without statistics SQLite would rather walk the primary key,
 * failed and succeeded items alike, than look up rows through a partial index.
 */
export function itemsQuery(filter: ItemFilter): { sql: string; params: unknown[] } {
  const failed = filter.status === "failed";
  const where = [`run_key = ${RUN_KEY}`, "step_id = ?"];
  const params: unknown[] = [];
  if (filter.status !== undefined) where.push(failed ? "status = 'failed'" : "status = 'succeeded'");
  if (filter.afterIndex !== undefined) {
    where.push("item_index > ?");
    params.push(filter.afterIndex);
  }
  const limit = filter.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
  const table = failed ? "step_items INDEXED BY step_items_failed" : "step_items";
  return {
    sql: `SELECT ${COLUMNS} FROM ${table} WHERE ${where.join(" AND ")} ORDER BY item_index${limit}`,
    params,
  };
}

export function getItems(
  sql: StatementCache,
  runId: string,
  stepId: string,
  filter: ItemFilter = {},
): ItemRecord[] {
  const query = itemsQuery(filter);
  return sql.all(query.sql, runId, stepId, ...query.params).map(fromRow(runId));
}

/** All recorded items of the map counted in its stretch of the table; the failed ones through their index. */
export function countItems(sql: StatementCache, runId: string, stepId: string): Record<ItemStatus, number> {
  const r = sql.one(
    `SELECT count(*) AS n,
       (SELECT count(*) FROM step_items INDEXED BY step_items_failed
        WHERE run_key = ${RUN_KEY} AND step_id = ? AND status = 'failed') AS failed
     FROM step_items WHERE run_key = ${RUN_KEY} AND step_id = ?`,
    runId,
    stepId,
    runId,
    stepId,
  )!;
  return { succeeded: Number(r.n) - Number(r.failed), failed: Number(r.failed) };
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
       (run_key, step_id, item_index, status, attempts, output, error, started_at, finished_at, item_key, from_run_id)
     SELECT (SELECT key FROM runs WHERE id = ?), step_id, item_index, status, attempts, output, error,
       started_at, finished_at, item_key, COALESCE(from_run_id, ?)
     FROM step_items WHERE run_key = ${RUN_KEY} AND step_id = ? AND status = 'succeeded'
       AND ${KEY} NOT IN (SELECT value FROM json_each(?))`,
    toRunId,
    from.runId,
    from.runId,
    from.stepId,
    JSON.stringify(except),
  );
}

export function summariseItems(sql: StatementCache, runId: string): ItemSummary[] {
  const totals = sql.all(
    `SELECT step_id, count(*) AS n, count(*) FILTER (WHERE status = 'failed') AS failed
     FROM step_items WHERE run_key = ${RUN_KEY} GROUP BY step_id`,
    runId,
  );
  const counts = totals.flatMap((r) => [
    { step_id: r.step_id, status: "succeeded", n: Number(r.n) - Number(r.failed) },
    { step_id: r.step_id, status: "failed", n: Number(r.failed) },
  ]);
  // min(item_index) makes SQLite return the other columns of that row (one per step).
  const first = sql.all(
    `SELECT step_id, ${KEY} AS item_key, error, min(item_index) FROM step_items INDEXED BY step_items_failed
     WHERE run_key = ${RUN_KEY} AND status = 'failed' GROUP BY step_id`,
    runId,
  );
  return summaries(counts, first);
}

export function dropItems(sql: StatementCache, ref: FencedStepRef, keys: readonly string[]): boolean {
  const runKey = ownedRunKey(sql, ref);
  if (runKey === null) return false;
  for (const key of keys) deleteKey(sql, runKey, ref.stepId, key);
  return true;
}

export function deleteItems(sql: StatementCache, runId: string, stepIds: readonly string[]): void {
  if (stepIds.length === 0) return;
  sql.run(
    `DELETE FROM step_items WHERE run_key = ${RUN_KEY} AND step_id IN (${placeholders(stepIds.length)})`,
    runId,
    ...stepIds,
  );
}

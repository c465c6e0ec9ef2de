import type { ItemRecord, ItemStatus } from "../../core/types.js";
import { itemFromRow, summaries } from "../item-rows.js";
import type { FencedStepRef, ItemFilter, ItemSummary, StepRef } from "../store.js";
import type { Queryable } from "./pg-sql.js";

/** Items of map steps: one row per settled item, keyed (run, step, item key). */

/**
 * Fenced like a memo; FOR SHARE keeps the step row from changing until this transaction commits. The
 * batch is one INSERT from arrays (unnest), so a batch of 500 items is one round trip.
 */
export async function recordItems(
  db: Queryable,
  ref: FencedStepRef,
  items: readonly ItemRecord[],
): Promise<boolean> {
  if (!(await owns(db, ref))) return false;
  if (items.length === 0) return true;
  await db.query(
    `INSERT INTO step_items
       (run_id, step_id, item_key, item_index, status, attempts, output, error, started_at, finished_at, from_run_id)
     SELECT $1, $2, * FROM unnest($3::text[], $4::int[], $5::text[], $6::int[], $7::text[], $8::text[],
       $9::bigint[], $10::bigint[], $11::text[])
     ON CONFLICT (run_id, step_id, item_key) DO UPDATE SET item_index = excluded.item_index,
       status = excluded.status, attempts = excluded.attempts, output = excluded.output,
       error = excluded.error, started_at = excluded.started_at, finished_at = excluded.finished_at,
       from_run_id = excluded.from_run_id`,
    [
      ref.runId,
      ref.stepId,
      items.map((i) => i.key),
      items.map((i) => i.index),
      items.map((i) => i.status),
      items.map((i) => i.attempts),
      items.map((i) => (i.output === null ? null : JSON.stringify(i.output))),
      items.map((i) => (i.error === null ? null : JSON.stringify(i.error))),
      items.map((i) => i.startedAt),
      items.map((i) => i.finishedAt),
      items.map((i) => i.fromRunId),
    ],
  );
  return true;
}

export async function getItems(
  db: Queryable,
  runId: string,
  stepId: string,
  filter: ItemFilter = {},
): Promise<ItemRecord[]> {
  const params: unknown[] = [runId, stepId];
  let where = "run_id = $1 AND step_id = $2";
  if (filter.status !== undefined) {
    params.push(filter.status);
    where += ` AND status = $${params.length}`;
  }
  if (filter.afterIndex !== undefined) {
    params.push(filter.afterIndex);
    where += ` AND item_index > $${params.length}`;
  }
  const limit = filter.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
  const { rows } = await db.query(
    `SELECT * FROM step_items WHERE ${where} ORDER BY item_index${limit}`,
    params,
  );
  return rows.map(itemFromRow);
}

export async function countItems(
  db: Queryable,
  runId: string,
  stepId: string,
): Promise<Record<ItemStatus, number>> {
  const counts: Record<ItemStatus, number> = { succeeded: 0, failed: 0 };
  const { rows } = await db.query(
    "SELECT status, count(*) AS n FROM step_items WHERE run_id = $1 AND step_id = $2 GROUP BY status",
    [runId, stepId],
  );
  for (const r of rows) counts[r.status as ItemStatus] = Number(r.n);
  return counts;
}

/** A rerun's map step starts with the succeeded items of its source run's, naming the run that executed each. */
export async function copySucceededItems(
  db: Queryable,
  from: StepRef,
  toRunId: string,
  except: readonly string[],
): Promise<number> {
  const { rowCount } = await db.query(
    `INSERT INTO step_items
       (run_id, step_id, item_key, item_index, status, attempts, output, error, started_at, finished_at, from_run_id)
     SELECT $1, step_id, item_key, item_index, status, attempts, output, error, started_at, finished_at,
       COALESCE(from_run_id, run_id)
     FROM step_items WHERE run_id = $2 AND step_id = $3 AND status = 'succeeded'
       AND NOT (item_key = ANY($4::text[]))
     ON CONFLICT (run_id, step_id, item_key) DO NOTHING`,
    [toRunId, from.runId, from.stepId, except],
  );
  return rowCount ?? 0;
}

export async function summariseItems(db: Queryable, runId: string): Promise<ItemSummary[]> {
  const counts = await db.query(
    "SELECT step_id, status, count(*) AS n FROM step_items WHERE run_id = $1 GROUP BY step_id, status",
    [runId],
  );
  const first = await db.query(
    `SELECT step_id, item_key, error FROM step_items WHERE run_id = $1 AND (step_id, item_index) IN (
       SELECT step_id, min(item_index) FROM step_items WHERE run_id = $1 AND status = 'failed' GROUP BY step_id)`,
    [runId],
  );
  return summaries(counts.rows, first.rows);
}

async function owns(db: Queryable, ref: FencedStepRef): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM steps WHERE run_id = $1 AND step_id = $2 AND lease_epoch = $3
       AND lease_owner IS NOT DISTINCT FROM $4::text AND status = 'running' FOR SHARE`,
    [ref.runId, ref.stepId, ref.epoch, ref.owner],
  );
  return rows.length > 0;
}

export async function dropItems(
  db: Queryable,
  ref: FencedStepRef,
  keys: readonly string[],
): Promise<boolean> {
  if (!(await owns(db, ref))) return false;
  await db.query("DELETE FROM step_items WHERE run_id = $1 AND step_id = $2 AND item_key = ANY($3::text[])", [
    ref.runId,
    ref.stepId,
    keys,
  ]);
  return true;
}

export async function deleteItems(db: Queryable, runId: string, stepIds: readonly string[]): Promise<void> {
  if (stepIds.length === 0) return;
  await db.query("DELETE FROM step_items WHERE run_id = $1 AND step_id = ANY($2::text[])", [runId, stepIds]);
}

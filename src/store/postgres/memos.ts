import type { Json } from "../../core/types.js";
import type { FencedStepRef, StepRef } from "../store.js";
import { NOW_MS, type Queryable } from "./pg-sql.js";

/** Memos: values a step keeps by key while it runs, so that a re-run can reuse them. */

export async function getMemo(
  db: Queryable,
  ref: StepRef,
  key: string,
): Promise<{ value: Json } | undefined> {
  const { rows } = await db.query("SELECT value FROM memos WHERE run_id = $1 AND step_id = $2 AND key = $3", [
    ref.runId,
    ref.stepId,
    key,
  ]);
  return rows[0] && { value: JSON.parse(rows[0].value as string) as Json };
}

/**
 * Write a memo only while the writer holds the step's lease. FOR SHARE keeps the step row from
 * changing until this transaction commits, so a takeover cannot slip in between the check and the write.
 */
export async function putMemo(db: Queryable, ref: FencedStepRef, key: string, value: Json): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO memos (run_id, step_id, key, value, at)
     SELECT $1, $2, $3, $4, ${NOW_MS} WHERE EXISTS (
       SELECT 1 FROM steps WHERE run_id = $1 AND step_id = $2 AND lease_epoch = $5
         AND lease_owner IS NOT DISTINCT FROM $6::text AND status = 'running' FOR SHARE)
     ON CONFLICT (run_id, step_id, key) DO UPDATE SET value = excluded.value, at = excluded.at`,
    [ref.runId, ref.stepId, key, JSON.stringify(value), ref.epoch, ref.owner],
  );
  return rowCount === 1;
}

export async function deleteMemos(db: Queryable, runId: string, stepIds: readonly string[]): Promise<void> {
  if (stepIds.length === 0) return;
  await db.query("DELETE FROM memos WHERE run_id = $1 AND step_id = ANY($2::text[])", [runId, stepIds]);
}

export async function listMemos(
  db: Queryable,
  ref: StepRef,
): Promise<Array<{ key: string; value: Json; at: number }>> {
  const { rows } = await db.query(
    "SELECT key, value, at FROM memos WHERE run_id = $1 AND step_id = $2 ORDER BY at, key",
    [ref.runId, ref.stepId],
  );
  return rows.map((r) => ({
    key: r.key as string,
    value: JSON.parse(r.value as string) as Json,
    at: Number(r.at),
  }));
}

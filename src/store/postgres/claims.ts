import type { StepRecord } from "../../core/types.js";
import { fromRow, STEP_COLUMNS } from "../columns.js";
import type { ClaimFilter, StepLease, StepRef } from "../store.js";
import { Params, type Queryable } from "./pg-sql.js";

/** Claiming ready steps: each claimer locks the rows it picks and skips those others hold. */

/** Ready steps of running runs this worker may execute (driver, failFast, run and workflow filters). */
function claimWhere(filter: Omit<ClaimFilter, "limit" | "now">, p: Params): string {
  let sql = `s.status = 'ready' AND r.status = 'running'
    AND (r.driver_id IS NULL OR r.driver_id = ${p.add(filter.workerId)})
    AND (r.fail_fast = 0 OR NOT EXISTS (SELECT 1 FROM steps f WHERE f.run_id = r.id AND f.status = 'failed'))`;
  if (filter.runIds) sql += ` AND s.run_id = ANY(${p.add(filter.runIds)}::text[])`;
  if (filter.workflowIds) {
    const stored = filter.storedVersions ? " OR r.workflow_version IS NOT NULL" : "";
    sql += ` AND (r.workflow_id = ANY(${p.add(filter.workflowIds)}::text[])${stored})`;
  }
  return sql;
}

export async function nextReadyAt(
  db: Queryable,
  filter: Omit<ClaimFilter, "limit" | "now">,
): Promise<number | null> {
  const p = new Params();
  const where = claimWhere(filter, p);
  const { rows } = await db.query(
    `SELECT min(s.ready_at) AS at FROM steps s JOIN runs r ON r.id = s.run_id WHERE ${where}`,
    p.values,
  );
  const at = rows[0]?.at;
  return at === null || at === undefined ? null : Number(at);
}

/**
 * Pick and lock claimable steps. FOR UPDATE OF s SKIP LOCKED: a step another worker is claiming at
 * this moment is passed over, so one step is never handed to two workers and claimers never queue
 * behind each other. (Outside a transaction, `lock: false`, it only looks.)
 */
export async function selectClaimable(
  db: Queryable,
  filter: ClaimFilter,
  options: { lock: boolean },
): Promise<StepRef[]> {
  const p = new Params();
  const where = claimWhere(filter, p);
  const { rows } = await db.query(
    `SELECT s.run_id, s.step_id FROM steps s JOIN runs r ON r.id = s.run_id
     WHERE ${where} AND s.ready_at <= ${p.add(filter.now)}
     ORDER BY s.ready_at, r.created_at LIMIT ${p.add(filter.limit)}${options.lock ? " FOR UPDATE OF s SKIP LOCKED" : ""}`,
    p.values,
  );
  // The caller then locks each step's run: in id order, like every other transaction, so no deadlock.
  return rows
    .map((r) => ({ runId: r.run_id as string, stepId: r.step_id as string }))
    .sort((a, b) => (a.runId === b.runId ? compare(a.stepId, b.stepId) : compare(a.runId, b.runId)));
}

export async function claimStep(
  db: Queryable,
  ref: StepRef,
  from: string,
  lease: StepLease,
): Promise<StepRecord | null> {
  const { rows } = await db.query(
    `UPDATE steps SET status = 'running', attempts = attempts + 1, lease_epoch = lease_epoch + 1,
       lease_owner = $1, lease_expires_at = $2, started_at = $3, finished_at = NULL, ready_at = NULL
     WHERE run_id = $4 AND step_id = $5 AND status = $6
     RETURNING *`,
    [lease.workerId, lease.now + lease.leaseMs, lease.now, ref.runId, ref.stepId, from],
  );
  return rows[0] ? fromRow(STEP_COLUMNS, rows[0]) : null;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

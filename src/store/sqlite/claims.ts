import type { StepRecord } from "../../core/types.js";
import { activeStepSql, unfinishedStepSql } from "../step-statuses.js";
import type { ClaimFilter, StepLease, StepRef } from "../store.js";
import { placeholders, RUN_KEY, type StatementCache } from "./statements.js";
import { ALL_STEP_COLUMNS, stepFromArray } from "./step-rows.js";

/**
 * Claiming ready steps. SQLite has one writer at a time: the surrounding BEGIN IMMEDIATE already
 * excludes other claimers, so nothing here locks.
 */

/** Ready steps of running runs this worker may execute (driver, failFast, run and workflow filters). */
function claimWhere(filter: Omit<ClaimFilter, "limit" | "now">): { sql: string; params: unknown[] } {
  // The repeated status terms name the partial indexes' conditions, so SQLite uses them (steps_active,
  // steps_unfinished) instead of scanning every step.
  let sql = `s.status = 'ready' AND ${activeStepSql("s")} AND r.status = 'running'
    AND (r.driver_id IS NULL OR r.driver_id = ?)
    AND (r.fail_fast = 0 OR NOT EXISTS (
      SELECT 1 FROM steps f WHERE f.run_key = r.key AND f.status = 'failed' AND ${unfinishedStepSql("f")}))`;
  const params: unknown[] = [filter.workerId];
  if (filter.runIds) {
    sql += ` AND r.id IN (${placeholders(filter.runIds.length)})`;
    params.push(...filter.runIds);
  }
  if (filter.workflowIds) {
    const stored = filter.storedVersions ? " OR r.workflow_version IS NOT NULL" : "";
    sql += ` AND (r.workflow_id IN (${placeholders(filter.workflowIds.length)})${stored})`;
    params.push(...filter.workflowIds);
  }
  return { sql, params };
}

export function nextReadyAt(sql: StatementCache, filter: Omit<ClaimFilter, "limit" | "now">): number | null {
  const where = claimWhere(filter);
  const row = sql.one(
    `SELECT min(s.ready_at) AS at FROM steps s JOIN runs r ON r.key = s.run_key WHERE ${where.sql}`,
    ...where.params,
  );
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}

export function selectClaimable(sql: StatementCache, filter: ClaimFilter): StepRef[] {
  const where = claimWhere(filter);
  return sql
    .all(
      `SELECT r.id AS run_id, s.step_id FROM steps s JOIN runs r ON r.key = s.run_key
       WHERE ${where.sql} AND s.ready_at <= ? ORDER BY s.ready_at, r.created_at LIMIT ?`,
      ...where.params,
      filter.now,
      filter.limit,
    )
    .map((r) => ({ runId: r.run_id as string, stepId: r.step_id as string }));
}

export function claimStep(
  sql: StatementCache,
  ref: StepRef,
  from: string,
  lease: StepLease,
): StepRecord | null {
  // An UPDATE, then a read of the row: SQLite's RETURNING materialises its rows first and cost more
  // than the two statements together (12.2 µs against 4.5 + 6.3). One writer at a time holds the
  // transaction, so nothing changes the row in between.
  const changed = sql.run(
    `UPDATE steps SET status = 'running', attempts = attempts + 1, lease_epoch = lease_epoch + 1,
       lease_owner = ?, lease_expires_at = ?, started_at = ?, finished_at = NULL, ready_at = NULL
     WHERE run_key = ${RUN_KEY} AND step_id = ? AND status = ?`,
    lease.workerId,
    lease.now + lease.leaseMs,
    lease.now,
    ref.runId,
    ref.stepId,
    from,
  );
  if (changed !== 1) return null;
  const [row] = sql.rows(
    `${ALL_STEP_COLUMNS.select} WHERE run_key = ${RUN_KEY} AND step_id = ?`,
    ref.runId,
    ref.stepId,
  );
  return stepFromArray(ALL_STEP_COLUMNS, row!, ref.runId);
}

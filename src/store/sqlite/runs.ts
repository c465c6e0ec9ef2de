import type { RunRecord, RunStatus } from "../../core/types.js";
import { fromRow, RUN_COLUMNS } from "../columns.js";
import type { RunPatch } from "../store.js";
import { insertSql, placeholders, type StatementCache, setClause, values } from "./statements.js";

/** Runs: one row each, read by id, by status, by workflow, by parent. */

export function getRun(sql: StatementCache, runId: string): RunRecord | undefined {
  const row = sql.one("SELECT * FROM runs WHERE id = ?", runId);
  return row && fromRow(RUN_COLUMNS, row);
}

export function insertRun(sql: StatementCache, run: RunRecord): void {
  sql.run(insertSql(RUN_COLUMNS), ...values(RUN_COLUMNS, run));
}

export function updateRun(
  sql: StatementCache,
  runId: string,
  patch: RunPatch,
  expect?: readonly string[],
): boolean {
  const set = setClause<RunRecord>(RUN_COLUMNS, patch);
  const guard = expect ? ` AND status IN (${placeholders(expect.length)})` : "";
  return (
    sql.run(`UPDATE runs SET ${set.sql} WHERE id = ?${guard}`, ...set.params, runId, ...(expect ?? [])) === 1
  );
}

export function listRunsByStatus(
  sql: StatementCache,
  statuses: readonly string[],
  limit: number,
): RunRecord[] {
  return sql
    .all(
      `SELECT * FROM runs WHERE status IN (${placeholders(statuses.length)}) ORDER BY created_at LIMIT ?`,
      ...statuses,
      limit,
    )
    .map((r) => fromRow(RUN_COLUMNS, r));
}

export function listChildRuns(sql: StatementCache, runId: string): RunRecord[] {
  return sql
    .all("SELECT * FROM runs WHERE parent_run_id = ? ORDER BY created_at", runId)
    .map((r) => fromRow(RUN_COLUMNS, r));
}

export function listRunsCalledBy(sql: StatementCache, runId: string): RunRecord[] {
  return sql
    .all("SELECT * FROM runs WHERE caller_run_id = ? ORDER BY created_at, id", runId)
    .map((r) => fromRow(RUN_COLUMNS, r));
}

export function latestFailedRun(
  sql: StatementCache,
  workflowId: string,
  tenant?: string,
): RunRecord | undefined {
  const byTenant = tenant === undefined ? "" : " AND f.tenant = ?";
  const row = sql.one(
    `SELECT f.* FROM runs f WHERE f.workflow_id = ? AND f.status = 'failed'${byTenant}
     AND NOT EXISTS (SELECT 1 FROM runs s WHERE s.root_run_id = f.root_run_id
       AND s.status = 'succeeded' AND s.finished_at >= f.created_at)
     ORDER BY f.created_at DESC, f.id DESC LIMIT 1`,
    ...(tenant === undefined ? [workflowId] : [workflowId, tenant]),
  );
  return row && fromRow(RUN_COLUMNS, row);
}

export function latestRun(
  sql: StatementCache,
  workflowId: string,
  status: RunStatus,
  tenant?: string,
): RunRecord | undefined {
  const row =
    tenant === undefined
      ? sql.one(
          "SELECT * FROM runs WHERE workflow_id = ? AND status = ? ORDER BY created_at DESC, id DESC LIMIT 1",
          workflowId,
          status,
        )
      : sql.one(
          "SELECT * FROM runs WHERE workflow_id = ? AND status = ? AND tenant = ? ORDER BY created_at DESC, id DESC LIMIT 1",
          workflowId,
          status,
          tenant,
        );
  return row && fromRow(RUN_COLUMNS, row);
}

export function countRunsByStatus(sql: StatementCache): Array<{ status: RunStatus; count: number }> {
  return sql
    .all("SELECT status, count(*) AS n FROM runs GROUP BY status")
    .map((r) => ({ status: r.status as RunStatus, count: Number(r.n) }));
}

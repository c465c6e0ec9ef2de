import type { RunRecord, RunStatus } from "../../core/types.js";
import { DELETED_RUN_COLUMNS, fromRow, RUN_COLUMNS } from "../columns.js";
import type { DeletedRunRecord, RetentionFilter } from "../store.js";
import { insertSql, placeholders, RUN_KEY, type StatementCache } from "./statements.js";

/** Retention on SQLite: which runs may go, and deleting one with everything recorded for it. */

export function selectRunsForRetention(sql: StatementCache, f: RetentionFilter): RunRecord[] {
  if (f.statuses.length === 0) return [];
  // The window ranks every run of a workflow within its tenant, newest first, so that the newest
  // `keepLast` are spared whatever their status; the other conditions apply to what is left.
  const tenant = f.tenant ?? null;
  const workflow = f.workflowId ?? null;
  const rows = sql.all(
    `SELECT * FROM (
       SELECT r.*,
         ROW_NUMBER() OVER (PARTITION BY tenant, workflow_id ORDER BY created_at DESC, id DESC) AS rank
       FROM runs r WHERE (? IS NULL OR tenant = ?) AND (? IS NULL OR workflow_id = ?))
     WHERE rank > ? AND coalesce(finished_at, updated_at) < ?
       AND status IN (${placeholders(f.statuses.length)})
     ORDER BY created_at, id LIMIT ?`,
    tenant,
    tenant,
    workflow,
    workflow,
    f.keepLast ?? 0,
    f.finishedBefore ?? Number.MAX_SAFE_INTEGER,
    ...f.statuses,
    f.limit,
  );
  return rows.map((r) => fromRow(RUN_COLUMNS, r));
}

export function deleteRun(
  sql: StatementCache,
  runId: string,
  expect: readonly RunStatus[],
  at: number,
): boolean {
  const run = sql.one(
    `SELECT id, workflow_id, tenant, workdir FROM runs WHERE id = ? AND status IN (${placeholders(expect.length)})`,
    runId,
    ...expect,
  );
  if (!run) return false;
  sql.run(`DELETE FROM steps WHERE run_key = ${RUN_KEY}`, runId);
  sql.run(`DELETE FROM events WHERE run_key = ${RUN_KEY}`, runId);
  sql.run("DELETE FROM memos WHERE run_id = ?", runId);
  sql.run(`DELETE FROM step_items WHERE run_key = ${RUN_KEY}`, runId);
  sql.run("DELETE FROM logs WHERE run_id = ?", runId);
  sql.run("DELETE FROM run_attempts WHERE run_id = ?", runId);
  sql.run("DELETE FROM step_processes WHERE run_id = ?", runId);
  sql.run("DELETE FROM runs WHERE id = ?", runId);
  sql.run(
    `${insertSql(DELETED_RUN_COLUMNS, "INSERT OR REPLACE")}`,
    run.id,
    run.workflow_id,
    run.tenant,
    run.workdir,
    at,
    null,
  );
  return true;
}

export function getDeletedRuns(sql: StatementCache, runIds: readonly string[]): DeletedRunRecord[] {
  if (runIds.length === 0) return [];
  return sql
    .all(`SELECT * FROM deleted_runs WHERE id IN (${placeholders(runIds.length)})`, ...runIds)
    .map((r) => fromRow(DELETED_RUN_COLUMNS, r));
}

export function pendingWorkdirRemovals(sql: StatementCache, limit: number): DeletedRunRecord[] {
  return sql
    .all("SELECT * FROM deleted_runs WHERE workdir_removed_at IS NULL ORDER BY deleted_at, id LIMIT ?", limit)
    .map((r) => fromRow(DELETED_RUN_COLUMNS, r));
}

export function markWorkdirRemoved(sql: StatementCache, runId: string, at: number): void {
  sql.run("UPDATE deleted_runs SET workdir_removed_at = ? WHERE id = ?", at, runId);
}

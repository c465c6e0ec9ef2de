import type { RunAttemptRecord } from "../../core/types.js";
import { ATTEMPT_COLUMNS, fromRow } from "../columns.js";
import type { WorkflowHistoryFilter } from "../store.js";
import { insertSql, type StatementCache, setClause, values } from "./statements.js";

/** Run attempts: every start and resume of a run, and how it ended. */

export function insertRunAttempt(sql: StatementCache, attempt: RunAttemptRecord): void {
  sql.run(insertSql(ATTEMPT_COLUMNS), ...values(ATTEMPT_COLUMNS, attempt));
}

export function updateRunAttempt(
  sql: StatementCache,
  runId: string,
  number: number,
  patch: Partial<Pick<RunAttemptRecord, "outcome" | "endedAt" | "note">>,
): void {
  const set = setClause<RunAttemptRecord>(ATTEMPT_COLUMNS, patch);
  if (!set.sql) return;
  sql.run(`UPDATE run_attempts SET ${set.sql} WHERE run_id = ? AND number = ?`, ...set.params, runId, number);
}

export function listRunAttempts(sql: StatementCache, runId: string): RunAttemptRecord[] {
  return sql
    .all("SELECT * FROM run_attempts WHERE run_id = ? ORDER BY number", runId)
    .map((r) => fromRow(ATTEMPT_COLUMNS, r));
}

/** Every start and resume of a workflow's runs, newest first, after a cursor. */
export function listWorkflowAttempts(sql: StatementCache, f: WorkflowHistoryFilter): RunAttemptRecord[] {
  const b = f.before;
  return sql
    .all(
      `SELECT a.* FROM run_attempts a JOIN runs r ON r.id = a.run_id
       WHERE r.workflow_id = ? AND (? IS NULL OR r.tenant = ?)
         AND (? IS NULL OR a.at < ? OR (a.at = ? AND (a.run_id < ? OR (a.run_id = ? AND a.number < ?))))
       ORDER BY a.at DESC, a.run_id DESC, a.number DESC LIMIT ?`,
      f.workflowId,
      f.tenant ?? null,
      f.tenant ?? null,
      b ? 1 : null,
      b?.at ?? 0,
      b?.at ?? 0,
      b?.runId ?? "",
      b?.runId ?? "",
      b?.number ?? 0,
      f.limit,
    )
    .map((r) => fromRow(ATTEMPT_COLUMNS, r));
}

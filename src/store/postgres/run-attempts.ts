import type { RunAttemptRecord } from "../../core/types.js";
import { ATTEMPT_COLUMNS, fromRow } from "../columns.js";
import type { WorkflowHistoryFilter } from "../store.js";
import { insertSql, Params, type Queryable, setClause } from "./pg-sql.js";

/** Run attempts: every start and resume of a run, and how it ended. */

export async function insertRunAttempt(db: Queryable, attempt: RunAttemptRecord): Promise<void> {
  const p = new Params();
  await db.query(insertSql(ATTEMPT_COLUMNS, [attempt], p), p.values);
}

export async function updateRunAttempt(
  db: Queryable,
  runId: string,
  number: number,
  patch: Partial<Pick<RunAttemptRecord, "outcome" | "endedAt" | "note">>,
): Promise<void> {
  const p = new Params();
  const set = setClause<RunAttemptRecord>(ATTEMPT_COLUMNS, patch, p);
  if (!set) return;
  await db.query(
    `UPDATE run_attempts SET ${set} WHERE run_id = ${p.add(runId)} AND number = ${p.add(number)}`,
    p.values,
  );
}

export async function listRunAttempts(db: Queryable, runId: string): Promise<RunAttemptRecord[]> {
  const { rows } = await db.query("SELECT * FROM run_attempts WHERE run_id = $1 ORDER BY number", [runId]);
  return rows.map((r) => fromRow(ATTEMPT_COLUMNS, r));
}

/** Every start and resume of a workflow's runs, newest first, after a cursor. */
export async function listWorkflowAttempts(
  db: Queryable,
  f: WorkflowHistoryFilter,
): Promise<RunAttemptRecord[]> {
  const b = f.before;
  const { rows } = await db.query(
    `SELECT a.* FROM run_attempts a JOIN runs r ON r.id = a.run_id
     WHERE r.workflow_id = $1 AND ($2::text IS NULL OR r.tenant = $2)
       AND ($3::boolean IS NULL OR (a.at, a.run_id, a.number) < ($4::bigint, $5::text, $6::int))
     ORDER BY a.at DESC, a.run_id DESC, a.number DESC LIMIT $7`,
    [f.workflowId, f.tenant ?? null, b ? true : null, b?.at ?? 0, b?.runId ?? "", b?.number ?? 0, f.limit],
  );
  return rows.map((r) => fromRow(ATTEMPT_COLUMNS, r));
}

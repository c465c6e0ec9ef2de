import type { RunRecord, RunStatus } from "../../core/types.js";
import { DELETED_RUN_COLUMNS, fromRow, RUN_COLUMNS } from "../columns.js";
import type { DeletedRunRecord, RetentionFilter } from "../store.js";
import type { Queryable } from "./pg-sql.js";

/** Retention on PostgreSQL: which runs may go, and deleting one with everything recorded for it. */

export async function selectRunsForRetention(db: Queryable, f: RetentionFilter): Promise<RunRecord[]> {
  if (f.statuses.length === 0) return [];
  // The window ranks every run of a workflow within its tenant, newest first, so that the newest
  // `keepLast` are spared whatever their status; the other conditions apply to what is left.
  const { rows } = await db.query(
    `SELECT * FROM (
       SELECT r.*, row_number() OVER (PARTITION BY tenant, workflow_id ORDER BY created_at DESC, id DESC) AS rank
       FROM runs r WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR workflow_id = $2)) ranked
     WHERE rank > $3 AND coalesce(finished_at, updated_at) < $4 AND status = ANY($6::text[])
     ORDER BY created_at, id LIMIT $5`,
    [
      f.tenant ?? null,
      f.workflowId ?? null,
      f.keepLast ?? 0,
      f.finishedBefore ?? Number.MAX_SAFE_INTEGER,
      f.limit,
      [...f.statuses],
    ],
  );
  return rows.map((r) => fromRow(RUN_COLUMNS, r));
}

/** The run row goes first (a compare-and-set that also locks it), then what belongs to it. */
export async function deleteRun(
  db: Queryable,
  runId: string,
  expect: readonly RunStatus[],
  at: number,
): Promise<boolean> {
  const { rows } = await db.query(
    "DELETE FROM runs WHERE id = $1 AND status = ANY($2::text[]) RETURNING id, workflow_id, tenant, workdir",
    [runId, [...expect]],
  );
  const run = rows[0];
  if (!run) return false;
  for (const table of ["steps", "events", "memos", "logs", "run_attempts", "step_processes", "step_items"])
    await db.query(`DELETE FROM ${table} WHERE run_id = $1`, [runId]);
  await db.query(
    `INSERT INTO deleted_runs (id, workflow_id, tenant, workdir, deleted_at, workdir_removed_at)
     VALUES ($1, $2, $3, $4, $5, NULL)
     ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id, tenant = excluded.tenant,
       workdir = excluded.workdir, deleted_at = excluded.deleted_at, workdir_removed_at = NULL`,
    [run.id, run.workflow_id, run.tenant, run.workdir, at],
  );
  return true;
}

export async function getDeletedRuns(db: Queryable, runIds: readonly string[]): Promise<DeletedRunRecord[]> {
  if (runIds.length === 0) return [];
  const { rows } = await db.query("SELECT * FROM deleted_runs WHERE id = ANY($1::text[])", [[...runIds]]);
  return rows.map((r) => fromRow(DELETED_RUN_COLUMNS, r));
}

export async function pendingWorkdirRemovals(db: Queryable, limit: number): Promise<DeletedRunRecord[]> {
  const { rows } = await db.query(
    "SELECT * FROM deleted_runs WHERE workdir_removed_at IS NULL ORDER BY deleted_at, id LIMIT $1",
    [limit],
  );
  return rows.map((r) => fromRow(DELETED_RUN_COLUMNS, r));
}

export async function markWorkdirRemoved(db: Queryable, runId: string, at: number): Promise<void> {
  await db.query("UPDATE deleted_runs SET workdir_removed_at = $1 WHERE id = $2", [at, runId]);
}

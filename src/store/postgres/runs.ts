import type { RunRecord, RunStatus } from "../../core/types.js";
import { fromRow, RUN_COLUMNS } from "../columns.js";
import type { RunPatch } from "../store.js";
import { insertSql, Params, type Queryable, setClause } from "./pg-sql.js";

/** Runs: one row each, read by id, by status, by workflow, by parent. */

/** `lock`: FOR UPDATE, so that the write transactions of one run follow each other (see PostgresTx). */
export async function getRun(
  db: Queryable,
  runId: string,
  options: { lock: boolean },
): Promise<RunRecord | undefined> {
  const lock = options.lock ? " FOR UPDATE" : "";
  const { rows } = await db.query(`SELECT * FROM runs WHERE id = $1${lock}`, [runId]);
  return rows[0] && fromRow(RUN_COLUMNS, rows[0]);
}

export async function insertRun(db: Queryable, run: RunRecord): Promise<void> {
  const p = new Params();
  await db.query(insertSql(RUN_COLUMNS, [run], p), p.values);
}

export async function updateRun(
  db: Queryable,
  runId: string,
  patch: RunPatch,
  expect?: readonly string[],
): Promise<boolean> {
  const p = new Params();
  const set = setClause<RunRecord>(RUN_COLUMNS, patch, p) ?? "id = id";
  const guard = expect ? ` AND status = ANY(${p.add(expect)}::text[])` : "";
  const { rowCount } = await db.query(`UPDATE runs SET ${set} WHERE id = ${p.add(runId)}${guard}`, p.values);
  return rowCount === 1;
}

export async function listRunsByStatus(
  db: Queryable,
  statuses: readonly string[],
  limit: number,
): Promise<RunRecord[]> {
  const { rows } = await db.query(
    "SELECT * FROM runs WHERE status = ANY($1::text[]) ORDER BY created_at, id LIMIT $2",
    [statuses, limit],
  );
  return rows.map((r) => fromRow(RUN_COLUMNS, r));
}

export async function listChildRuns(db: Queryable, runId: string): Promise<RunRecord[]> {
  const { rows } = await db.query("SELECT * FROM runs WHERE parent_run_id = $1 ORDER BY created_at, id", [
    runId,
  ]);
  return rows.map((r) => fromRow(RUN_COLUMNS, r));
}

export async function listRunsCalledBy(db: Queryable, runId: string): Promise<RunRecord[]> {
  const { rows } = await db.query("SELECT * FROM runs WHERE caller_run_id = $1 ORDER BY created_at, id", [
    runId,
  ]);
  return rows.map((r) => fromRow(RUN_COLUMNS, r));
}

export async function latestFailedRun(
  db: Queryable,
  workflowId: string,
  tenant?: string,
): Promise<RunRecord | undefined> {
  const p = new Params();
  const byTenant = tenant === undefined ? "" : ` AND f.tenant = ${p.add(tenant)}`;
  const { rows } = await db.query(
    `SELECT f.* FROM runs f WHERE f.workflow_id = ${p.add(workflowId)} AND f.status = 'failed'${byTenant}
     AND NOT EXISTS (SELECT 1 FROM runs s WHERE s.root_run_id = f.root_run_id
       AND s.status = 'succeeded' AND s.finished_at >= f.created_at)
     ORDER BY f.created_at DESC, f.id DESC LIMIT 1`,
    p.values,
  );
  return rows[0] && fromRow(RUN_COLUMNS, rows[0]);
}

export async function latestRun(
  db: Queryable,
  workflowId: string,
  status: RunStatus,
  tenant?: string,
): Promise<RunRecord | undefined> {
  const p = new Params();
  const byTenant = tenant === undefined ? "" : ` AND tenant = ${p.add(tenant)}`;
  const { rows } = await db.query(
    `SELECT * FROM runs WHERE workflow_id = ${p.add(workflowId)} AND status = ${p.add(status)}${byTenant}
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    p.values,
  );
  return rows[0] && fromRow(RUN_COLUMNS, rows[0]);
}

export async function countRunsByStatus(db: Queryable): Promise<Array<{ status: RunStatus; count: number }>> {
  const { rows } = await db.query(
    "SELECT status, count(*)::int AS n FROM runs GROUP BY status ORDER BY status",
  );
  return rows.map((r) => ({ status: r.status as RunStatus, count: Number(r.n) }));
}

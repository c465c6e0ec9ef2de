import { fromRow, WORKER_COLUMNS } from "../columns.js";
import type { WorkerRecord } from "../store.js";
import { Params, type Queryable, upsertSql } from "./pg-sql.js";

/** Worker records: who holds leases, and whether they are still alive. */

export async function upsertWorker(db: Queryable, worker: WorkerRecord): Promise<void> {
  const p = new Params();
  await db.query(upsertSql(WORKER_COLUMNS, worker, "id", p), p.values);
}

export async function getWorkers(db: Queryable, ids: readonly string[]): Promise<WorkerRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query("SELECT * FROM workers WHERE id = ANY($1::text[])", [ids]);
  return rows.map((r) => fromRow(WORKER_COLUMNS, r));
}

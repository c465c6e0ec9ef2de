import { fromRow, WORKER_COLUMNS } from "../columns.js";
import type { WorkerRecord } from "../store.js";
import { insertSql, placeholders, type StatementCache, values } from "./statements.js";

/** Worker records: who holds leases, and whether they are still alive. */

export function upsertWorker(sql: StatementCache, worker: WorkerRecord): void {
  sql.run(insertSql(WORKER_COLUMNS, "INSERT OR REPLACE"), ...values(WORKER_COLUMNS, worker));
}

export function getWorkers(sql: StatementCache, ids: readonly string[]): WorkerRecord[] {
  if (ids.length === 0) return [];
  return sql
    .all(`SELECT * FROM workers WHERE id IN (${placeholders(ids.length)})`, ...ids)
    .map((r) => fromRow(WORKER_COLUMNS, r));
}

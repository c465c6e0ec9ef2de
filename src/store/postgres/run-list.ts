import type { RunRecord } from "../../core/types.js";
import { fromRow, RUN_COLUMNS } from "../columns.js";
import { idPrefixEnd } from "../id-prefix.js";
import type { RunFilter } from "../store.js";
import { Params, type Queryable } from "./pg-sql.js";

const ORDER = "ORDER BY created_at DESC, id DESC";

/**
 * A page of runs, newest first. Each condition narrows one index range: the time range and the
 * cursor are ranges of `created_at`, an id prefix is a range of runs_by_id_bytes (ids compared byte
 * by byte, whatever the database's collation). Several statuses are one ordered read per status,
 * each stopped at `limit`, merged: `status = ANY(…)` would read every run of those statuses to sort
 * them.
 */
export async function listRuns(db: Queryable, filter: RunFilter): Promise<RunRecord[]> {
  const p = new Params();
  const where: string[] = [];
  if (filter.tenant !== undefined) where.push(`tenant = ${p.add(filter.tenant)}`);
  if (filter.workflowId) where.push(`workflow_id = ${p.add(filter.workflowId)}`);
  if (filter.idPrefix) {
    where.push(`id COLLATE "C" >= ${p.add(filter.idPrefix)}`);
    const end = idPrefixEnd(filter.idPrefix);
    if (end !== null) where.push(`id COLLATE "C" < ${p.add(end)}`);
  }
  if (filter.createdAfter !== undefined) where.push(`created_at >= ${p.add(filter.createdAfter)}`);
  if (filter.createdBefore !== undefined) where.push(`created_at < ${p.add(filter.createdBefore)}`);
  if (filter.before) {
    const at = p.add(filter.before.createdAt);
    where.push(`(created_at < ${at} OR (created_at = ${at} AND id < ${p.add(filter.before.id)}))`);
  }
  const limit = p.add(filter.limit ?? 100);
  const statuses = [...new Set(filter.statuses ?? [])];
  const select = (conditions: string[]) =>
    `SELECT * FROM runs ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""} ${ORDER} LIMIT ${limit}`;
  const sql =
    statuses.length <= 1
      ? select(statuses.length === 1 ? [`status = ${p.add(statuses[0])}`, ...where] : where)
      : `${statuses.map((s) => `(${select([`status = ${p.add(s)}`, ...where])})`).join(" UNION ALL ")} ${ORDER} LIMIT ${limit}`;
  const { rows } = await db.query(sql, p.values);
  return rows.map((r) => fromRow(RUN_COLUMNS, r));
}

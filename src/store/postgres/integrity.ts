import type { Queryable } from "./pg-sql.js";

/** Cross-table consistency the schema cannot enforce by itself; "ok" when there is nothing to report. */
export async function checkIntegrity(db: Queryable): Promise<string> {
  const { rows } = await db.query(
    `SELECT
       (SELECT count(*)::int FROM steps s WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id)) AS orphan_steps,
       (SELECT count(*)::int FROM steps WHERE status = 'running' AND lease_expires_at IS NULL) AS unleased`,
  );
  const row = rows[0];
  const problems: string[] = [];
  if (Number(row?.orphan_steps) > 0) problems.push(`${row!.orphan_steps} steps belong to no run`);
  if (Number(row?.unleased) > 0) problems.push(`${row!.unleased} running steps have no lease expiry`);
  return problems.length === 0 ? "ok" : problems.join("; ");
}

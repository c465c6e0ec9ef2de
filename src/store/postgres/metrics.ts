import type { RunStatus } from "../../core/types.js";
import type { MetricCounts } from "../store.js";
import type { Queryable } from "./pg-sql.js";

/** Who folds run count deltas (with the schema's hash): the key of a transaction advisory lock. */
const FOLD_LOCK = 0x43526366;

/**
 * Fold the +1/-1 rows the triggers on runs appended since the last fold into one row per workflow
 * and status, in one statement. One folder at a time (the others skip it and read): two DELETEs of
 * the same rows in different orders could deadlock. Deltas appended meanwhile stay for the next fold;
 * the sum is exact either way.
 */
const FOLD = `
  WITH folding AS (
    SELECT pg_try_advisory_xact_lock(${FOLD_LOCK}, hashtext(current_schema()::text)) AS mine
  ), gone AS (
    DELETE FROM run_count_deltas WHERE (SELECT mine FROM folding) RETURNING workflow_id, status, n
  )
  INSERT INTO run_count_deltas (workflow_id, status, n)
    SELECT workflow_id, status, sum(n) FROM gone GROUP BY workflow_id, status HAVING sum(n) <> 0`;

/**
 * Counts for the metrics endpoint. Runs: the folded count rows (one per workflow and status, plus
 * what changed since the last scrape), whatever the history. Ready steps: through an index only.
 */
export async function countForMetrics(db: Queryable): Promise<MetricCounts> {
  await db.query(FOLD);
  const [runs, ready] = await Promise.all([
    db.query(
      `SELECT workflow_id, status, sum(n)::bigint AS n FROM run_count_deltas
       GROUP BY workflow_id, status HAVING sum(n) <> 0 ORDER BY workflow_id, status`,
    ),
    db.query(
      `SELECT r.workflow_id, count(*)::int AS n FROM steps s JOIN runs r ON r.id = s.run_id
       WHERE s.status = 'ready' AND r.status = 'running' GROUP BY r.workflow_id`,
    ),
  ]);
  return {
    runs: runs.rows.map((r) => ({
      workflowId: r.workflow_id as string,
      status: r.status as RunStatus,
      count: Number(r.n),
    })),
    readySteps: ready.rows.map((r) => ({ workflowId: r.workflow_id as string, count: Number(r.n) })),
  };
}

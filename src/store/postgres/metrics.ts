import type { RunStatus } from "../../core/types.js";
import type { MetricCounts } from "../store.js";
import type { Queryable } from "./pg-sql.js";

/** Counts for the metrics endpoint, read through indexes only. */
export async function countForMetrics(db: Queryable): Promise<MetricCounts> {
  const [runs, ready] = await Promise.all([
    db.query("SELECT workflow_id, status, count(*)::int AS n FROM runs GROUP BY workflow_id, status"),
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

import type { RunStatus } from "../../core/types.js";
import { activeStepSql } from "../step-statuses.js";
import type { MetricCounts } from "../store.js";
import type { StatementCache } from "./statements.js";

/** Counts for the metrics endpoint: runs from the counts table, ready steps through an index only. */
export function countForMetrics(sql: StatementCache): MetricCounts {
  return {
    // Kept by triggers on runs (migrations.ts): one row per workflow and status, whatever the history.
    runs: sql
      .all("SELECT workflow_id, status, n FROM run_counts WHERE n <> 0 ORDER BY workflow_id, status")
      .map((r) => ({
        workflowId: r.workflow_id as string,
        status: r.status as RunStatus,
        count: Number(r.n),
      })),
    // The repeated status term names steps_active's condition, so SQLite reads only that index.
    readySteps: sql
      .all(
        `SELECT r.workflow_id, count(*) AS n FROM steps s JOIN runs r ON r.key = s.run_key
         WHERE s.status = 'ready' AND ${activeStepSql("s")} AND r.status = 'running'
         GROUP BY r.workflow_id`,
      )
      .map((r) => ({ workflowId: r.workflow_id as string, count: Number(r.n) })),
  };
}

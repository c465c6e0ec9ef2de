import { STEP_STATUSES, type StepStatus } from "../core/types.js";

/**
 * Which steps count as unfinished and which as active, defined once for both stores' SQL.
 *
 * A step is unfinished until it succeeds: a pending, ready, running, failed or cancelled step keeps
 * its run from succeeding (`runActivity().unfinished`, `countUnsucceeded`).
 */
export const FINISHED_STEP_STATUS = "succeeded" satisfies StepStatus;
export const UNFINISHED_STEP_STATUSES: readonly StepStatus[] = STEP_STATUSES.filter(
  (s) => s !== FINISHED_STEP_STATUS,
);
/** Steps a worker may claim or holds: what the steps_active indexes cover. */
export const ACTIVE_STEP_STATUSES = ["ready", "running"] as const satisfies readonly StepStatus[];

const column = (alias?: string) => (alias ? `${alias}.status` : "status");

/**
 * SQL: the step (`status`, or `<alias>.status`) is unfinished. Written as `<>` rather than an IN list
 * because SQLite uses a partial index only when the query repeats its condition, and steps_unfinished
 * is `WHERE status <> 'succeeded'`.
 */
export function unfinishedStepSql(alias?: string): string {
  return `${column(alias)} <> '${FINISHED_STEP_STATUS}'`;
}

/** SQL: the step is active; the same text as the steps_active indexes' condition (see above). */
export function activeStepSql(alias?: string): string {
  return `${column(alias)} IN (${ACTIVE_STEP_STATUSES.map((s) => `'${s}'`).join(", ")})`;
}

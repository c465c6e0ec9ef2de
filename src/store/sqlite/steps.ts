import type { StepRecord } from "../../core/types.js";
import { fromRow, STEP_COLUMNS, toColumn } from "../columns.js";
import { activeStepSql, unfinishedStepSql } from "../step-statuses.js";
import type { FencedStepRef, RunActivity, StepPatch, StepReadOptions, StepRef } from "../store.js";
import { placeholders, type Row, RUN_KEY, type StatementCache, setClause } from "./statements.js";
import {
  ALL_STEP_COLUMNS,
  INSERT_STEP,
  STATUS_STEP_COLUMNS,
  STEP_ROW_WITH_RUN_ID,
  STORED_STEP_KEYS,
  stepFromArray,
} from "./step-rows.js";

/** Steps of runs: reads, inserts, guarded and fenced updates, and what a run's steps add up to. */

export function getSteps(
  sql: StatementCache,
  runId: string,
  stepIds?: readonly string[],
  options: StepReadOptions = {},
): StepRecord[] {
  const columns = options.outputs === false ? STATUS_STEP_COLUMNS : ALL_STEP_COLUMNS;
  const rows = stepIds
    ? stepIds.length === 0
      ? []
      : sql.rows(
          `${columns.select} WHERE run_key = ${RUN_KEY} AND step_id IN (${placeholders(stepIds.length)})`,
          runId,
          ...stepIds,
        )
    : sql.rows(`${columns.select} WHERE run_key = ${RUN_KEY} ORDER BY pos`, runId);
  return rows.map((r) => stepFromArray(columns, r, runId));
}

export function insertSteps(sql: StatementCache, steps: readonly StepRecord[]): void {
  // Steps keep the order they were inserted in (`pos`), after any the run already has.
  const nextPos = new Map<string, number>();
  for (const step of steps) {
    const pos =
      nextPos.get(step.runId) ??
      Number(
        sql.one(`SELECT coalesce(max(pos) + 1, 0) AS pos FROM steps WHERE run_key = ${RUN_KEY}`, step.runId)!
          .pos,
      );
    nextPos.set(step.runId, pos + 1);
    sql.run(INSERT_STEP, step.runId, pos, ...STORED_STEP_KEYS.map((k) => toColumn(STEP_COLUMNS, k, step[k])));
  }
}

export function updateStep(
  sql: StatementCache,
  ref: StepRef,
  patch: StepPatch,
  fromStatuses?: readonly string[],
): boolean {
  const set = setClause<StepRecord>(STEP_COLUMNS, patch);
  const guard = fromStatuses ? ` AND status IN (${placeholders(fromStatuses.length)})` : "";
  return (
    sql.run(
      `UPDATE steps SET ${set.sql} WHERE run_key = ${RUN_KEY} AND step_id = ?${guard}`,
      ...set.params,
      ref.runId,
      ref.stepId,
      ...(fromStatuses ?? []),
    ) === 1
  );
}

export function updateOwnedStep(sql: StatementCache, ref: FencedStepRef, patch: StepPatch): boolean {
  const set = setClause<StepRecord>(STEP_COLUMNS, patch);
  return (
    sql.run(
      `UPDATE steps SET ${set.sql} WHERE run_key = ${RUN_KEY} AND step_id = ? AND lease_epoch = ? AND lease_owner IS ? AND status = 'running'`,
      ...set.params,
      ref.runId,
      ref.stepId,
      ref.epoch,
      ref.owner,
    ) === 1
  );
}

export function countUnsucceeded(sql: StatementCache, runId: string, stepIds: readonly string[]): number {
  if (stepIds.length === 0) return 0;
  const row = sql.one(
    `SELECT count(*) AS n FROM steps WHERE run_key = ${RUN_KEY} AND ${unfinishedStepSql()} AND step_id IN (${placeholders(stepIds.length)})`,
    runId,
    ...stepIds,
  );
  return Number(row?.n ?? 0);
}

export function runActivity(sql: StatementCache, runId: string): RunActivity {
  // Four EXISTS probes of the steps_unfinished index (the repeated unfinished term selects it):
  // constant cost however many steps the run has.
  const unfinished = unfinishedStepSql();
  const row = sql.one(
    `WITH k AS (SELECT key FROM runs WHERE id = @run) SELECT
       EXISTS (SELECT 1 FROM steps WHERE run_key = (SELECT key FROM k) AND status = 'running' AND ${unfinished}) AS running,
       EXISTS (SELECT 1 FROM steps WHERE run_key = (SELECT key FROM k) AND status = 'ready' AND ${unfinished}) AS ready,
       EXISTS (SELECT 1 FROM steps WHERE run_key = (SELECT key FROM k) AND status = 'failed' AND ${unfinished}) AS failed,
       EXISTS (SELECT 1 FROM steps WHERE run_key = (SELECT key FROM k) AND ${unfinished}) AS unfinished`,
    { run: runId },
  ) as Row;
  return {
    running: row.running === 1,
    ready: row.ready === 1,
    failed: row.failed === 1,
    unfinished: row.unfinished === 1,
  };
}

export function runningSteps(sql: StatementCache, ownerId?: string): StepRecord[] {
  const rows =
    ownerId === undefined
      ? sql.all(`${STEP_ROW_WITH_RUN_ID} WHERE s.status = 'running' AND ${activeStepSql("s")}`)
      : sql.all(
          `${STEP_ROW_WITH_RUN_ID} WHERE s.status = 'running' AND ${activeStepSql("s")} AND s.lease_owner = ?`,
          ownerId,
        );
  return rows.map((r) => fromRow(STEP_COLUMNS, r));
}

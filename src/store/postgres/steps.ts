import type { StepRecord } from "../../core/types.js";
import { fromRow, STEP_COLUMNS } from "../columns.js";
import { unfinishedStepSql } from "../step-statuses.js";
import type { FencedStepRef, RunActivity, StepPatch, StepRef } from "../store.js";
import { insertSql, Params, type Queryable, setClause } from "./pg-sql.js";

/** Steps of runs: reads, inserts, guarded and fenced updates, and what a run's steps add up to. */

/** Rows per multi-row INSERT: 1000 steps × 20 columns stays well under PostgreSQL's 65,535 parameters. */
const INSERT_CHUNK = 1000;

export async function getSteps(
  db: Queryable,
  runId: string,
  stepIds?: readonly string[],
): Promise<StepRecord[]> {
  if (stepIds?.length === 0) return [];
  const { rows } = stepIds
    ? await db.query(
        "SELECT * FROM steps WHERE run_id = $1 AND step_id = ANY($2::text[]) ORDER BY row_order",
        [runId, stepIds],
      )
    : await db.query("SELECT * FROM steps WHERE run_id = $1 ORDER BY row_order", [runId]);
  return rows.map((r) => fromRow(STEP_COLUMNS, r));
}

export async function insertSteps(db: Queryable, steps: readonly StepRecord[]): Promise<void> {
  for (let i = 0; i < steps.length; i += INSERT_CHUNK) {
    const p = new Params();
    await db.query(insertSql(STEP_COLUMNS, steps.slice(i, i + INSERT_CHUNK), p), p.values);
  }
}

export async function updateStep(
  db: Queryable,
  ref: StepRef,
  patch: StepPatch,
  fromStatuses?: readonly string[],
): Promise<boolean> {
  const p = new Params();
  const set = setClause<StepRecord>(STEP_COLUMNS, patch, p) ?? "status = status";
  const guard = fromStatuses ? ` AND status = ANY(${p.add(fromStatuses)}::text[])` : "";
  const sql = `UPDATE steps SET ${set} WHERE run_id = ${p.add(ref.runId)} AND step_id = ${p.add(ref.stepId)}${guard}`;
  return (await db.query(sql, p.values)).rowCount === 1;
}

export async function updateOwnedStep(db: Queryable, ref: FencedStepRef, patch: StepPatch): Promise<boolean> {
  const p = new Params();
  const set = setClause<StepRecord>(STEP_COLUMNS, patch, p) ?? "status = status";
  const sql = `UPDATE steps SET ${set} WHERE run_id = ${p.add(ref.runId)} AND step_id = ${p.add(ref.stepId)}
    AND lease_epoch = ${p.add(ref.epoch)} AND lease_owner IS NOT DISTINCT FROM ${p.add(ref.owner)}::text
    AND status = 'running'`;
  return (await db.query(sql, p.values)).rowCount === 1;
}

export async function countUnsucceeded(
  db: Queryable,
  runId: string,
  stepIds: readonly string[],
): Promise<number> {
  if (stepIds.length === 0) return 0;
  const { rows } = await db.query(
    `SELECT count(*)::int AS n FROM steps WHERE run_id = $1 AND ${unfinishedStepSql()} AND step_id = ANY($2::text[])`,
    [runId, stepIds],
  );
  return Number(rows[0]?.n ?? 0);
}

export async function runActivity(db: Queryable, runId: string): Promise<RunActivity> {
  const { rows } = await db.query(
    `SELECT
       EXISTS (SELECT 1 FROM steps WHERE run_id = $1 AND status = 'running') AS running,
       EXISTS (SELECT 1 FROM steps WHERE run_id = $1 AND status = 'ready') AS ready,
       EXISTS (SELECT 1 FROM steps WHERE run_id = $1 AND status = 'failed') AS failed,
       EXISTS (SELECT 1 FROM steps WHERE run_id = $1 AND ${unfinishedStepSql()}) AS unfinished`,
    [runId],
  );
  const row = rows[0]!;
  return {
    running: row.running === true,
    ready: row.ready === true,
    failed: row.failed === true,
    unfinished: row.unfinished === true,
  };
}

export async function runningSteps(db: Queryable, ownerId?: string): Promise<StepRecord[]> {
  // Ordered by run: recovery locks the runs of these steps one by one, in the same order as everyone else.
  const { rows } =
    ownerId === undefined
      ? await db.query("SELECT * FROM steps WHERE status = 'running' ORDER BY run_id, step_id")
      : await db.query(
          "SELECT * FROM steps WHERE status = 'running' AND lease_owner = $1 ORDER BY run_id, step_id",
          [ownerId],
        );
  return rows.map((r) => fromRow(STEP_COLUMNS, r));
}

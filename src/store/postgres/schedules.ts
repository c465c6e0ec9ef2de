import type { ScheduleRecord } from "../../core/schedule.js";
import type { Json } from "../../core/types.js";
import { fromRow, SCHEDULE_COLUMNS } from "../columns.js";
import type { ScheduleRef } from "../store.js";
import type { Queryable } from "./pg-sql.js";

/**
 * Schedule state on PostgreSQL. Two workers claiming the same tick both run the compare-and-set
 * UPDATE; the second waits for the first's row lock, then re-reads `last_tick` (READ COMMITTED) and
 * matches no row: exactly one of them starts the run.
 */

export async function syncSchedules(
  db: Queryable,
  workflowId: string,
  schedules: readonly { name: string; spec: Json }[],
  now: number,
): Promise<void> {
  for (const s of schedules)
    await db.query(
      `INSERT INTO schedules (workflow_id, name, spec, paused, last_tick, updated_at) VALUES ($1, $2, $3, 0, $4, $4)
       ON CONFLICT (workflow_id, name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at
       WHERE schedules.spec IS DISTINCT FROM excluded.spec`,
      [workflowId, s.name, JSON.stringify(s.spec), now],
    );
  await db.query("DELETE FROM schedules WHERE workflow_id = $1 AND NOT (name = ANY($2::text[]))", [
    workflowId,
    schedules.map((s) => s.name),
  ]);
}

export async function listSchedules(db: Queryable, workflowId?: string): Promise<ScheduleRecord[]> {
  const { rows } =
    workflowId === undefined
      ? await db.query("SELECT * FROM schedules ORDER BY workflow_id, name")
      : await db.query("SELECT * FROM schedules WHERE workflow_id = $1 ORDER BY name", [workflowId]);
  return rows.map((r) => fromRow(SCHEDULE_COLUMNS, r));
}

export async function advanceSchedule(
  db: Queryable,
  ref: ScheduleRef,
  tick: number,
  runId: string | null,
  at: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE schedules SET last_tick = $1, last_run_id = coalesce($2, last_run_id), updated_at = $3
     WHERE workflow_id = $4 AND name = $5 AND paused = 0 AND last_tick < $1`,
    [tick, runId, at, ref.workflowId, ref.name],
  );
  return rowCount === 1;
}

export async function setSchedulePaused(
  db: Queryable,
  ref: ScheduleRef,
  paused: boolean,
  at: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE schedules SET paused = $1, updated_at = $2,
       last_tick = CASE WHEN $1 = 0 AND paused = 1 THEN greatest(last_tick, $2) ELSE last_tick END
     WHERE workflow_id = $3 AND name = $4`,
    [paused ? 1 : 0, at, ref.workflowId, ref.name],
  );
  return rowCount === 1;
}

import type { ScheduleRecord } from "../../core/schedule.js";
import type { Json } from "../../core/types.js";
import { fromRow, SCHEDULE_COLUMNS } from "../columns.js";
import type { ScheduleRef } from "../store.js";
import type { StatementCache } from "./statements.js";

/** Schedule state on SQLite: one writer at a time, so a tick's compare-and-set needs no lock of its own. */

export function syncSchedules(
  sql: StatementCache,
  workflowId: string,
  schedules: readonly { name: string; spec: Json }[],
  now: number,
): void {
  for (const s of schedules)
    sql.run(
      `INSERT INTO schedules (workflow_id, name, spec, paused, last_tick, updated_at) VALUES (?, ?, ?, 0, ?, ?)
       ON CONFLICT (workflow_id, name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at
       WHERE spec IS NOT excluded.spec`,
      workflowId,
      s.name,
      JSON.stringify(s.spec),
      now,
      now,
    );
  const keep = schedules.map((s) => s.name);
  sql.run(
    `DELETE FROM schedules WHERE workflow_id = ? AND name NOT IN (SELECT value FROM json_each(?))`,
    workflowId,
    JSON.stringify(keep),
  );
}

export function listSchedules(sql: StatementCache, workflowId?: string): ScheduleRecord[] {
  const rows =
    workflowId === undefined
      ? sql.all("SELECT * FROM schedules ORDER BY workflow_id, name")
      : sql.all("SELECT * FROM schedules WHERE workflow_id = ? ORDER BY name", workflowId);
  return rows.map((r) => fromRow(SCHEDULE_COLUMNS, r));
}

export function advanceSchedule(
  sql: StatementCache,
  ref: ScheduleRef,
  tick: number,
  runId: string | null,
  at: number,
): boolean {
  return (
    sql.run(
      `UPDATE schedules SET last_tick = ?, last_run_id = coalesce(?, last_run_id), updated_at = ?
       WHERE workflow_id = ? AND name = ? AND paused = 0 AND last_tick < ?`,
      tick,
      runId,
      at,
      ref.workflowId,
      ref.name,
      tick,
    ) === 1
  );
}

export function setSchedulePaused(
  sql: StatementCache,
  ref: ScheduleRef,
  paused: boolean,
  at: number,
): boolean {
  return (
    sql.run(
      `UPDATE schedules SET paused = ?, updated_at = ?,
         last_tick = CASE WHEN ? = 0 AND paused = 1 THEN max(last_tick, ?) ELSE last_tick END
       WHERE workflow_id = ? AND name = ?`,
      paused ? 1 : 0,
      at,
      paused ? 1 : 0,
      at,
      ref.workflowId,
      ref.name,
    ) === 1
  );
}

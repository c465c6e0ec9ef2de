import type { SignalRecord } from "../../core/types.js";
import { fromRow, SIGNAL_COLUMNS } from "../columns.js";
import type { StepRef } from "../store.js";
import type { StatementCache } from "./statements.js";

/** Signals on SQLite: one writer at a time, so "take" needs no locking of its own. */

export function insertSignal(
  sql: StatementCache,
  s: Omit<SignalRecord, "seq" | "takenBy" | "takenAt">,
): boolean {
  return (
    sql.run(
      "INSERT INTO signals (run_id, name, key, data, sent_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      s.runId,
      s.name,
      s.key,
      JSON.stringify(s.data),
      s.sentAt,
    ) === 1
  );
}

export function pendingSignal(sql: StatementCache, runId: string, name: string): SignalRecord | undefined {
  const row = sql.one(
    "SELECT * FROM signals WHERE run_id = ? AND name = ? AND taken_at IS NULL ORDER BY seq LIMIT 1",
    runId,
    name,
  );
  return row && fromRow(SIGNAL_COLUMNS, row);
}

export function takeSignal(sql: StatementCache, seq: number, by: StepRef, at: number): boolean {
  return (
    sql.run(
      "UPDATE signals SET taken_by = ?, taken_at = ? WHERE seq = ? AND run_id = ? AND taken_at IS NULL",
      by.stepId,
      at,
      seq,
      by.runId,
    ) === 1
  );
}

export function listSignals(sql: StatementCache, runId: string): SignalRecord[] {
  return sql
    .all("SELECT * FROM signals WHERE run_id = ? ORDER BY seq", runId)
    .map((r) => fromRow(SIGNAL_COLUMNS, r));
}

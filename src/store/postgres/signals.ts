import type { SignalRecord } from "../../core/types.js";
import { fromRow, SIGNAL_COLUMNS } from "../columns.js";
import type { StepRef } from "../store.js";
import type { Queryable } from "./pg-sql.js";

/**
 * Signals on PostgreSQL. Two waits racing for one signal both may read it as pending; `take` is a
 * compare-and-set on `taken_at IS NULL`, so exactly one of them gets it.
 */

export async function insertSignal(
  db: Queryable,
  s: Omit<SignalRecord, "seq" | "takenBy" | "takenAt">,
): Promise<boolean> {
  const { rowCount } = await db.query(
    "INSERT INTO signals (run_id, name, key, data, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    [s.runId, s.name, s.key, JSON.stringify(s.data), s.sentAt],
  );
  return rowCount === 1;
}

export async function pendingSignal(
  db: Queryable,
  runId: string,
  name: string,
): Promise<SignalRecord | undefined> {
  const { rows } = await db.query(
    "SELECT * FROM signals WHERE run_id = $1 AND name = $2 AND taken_at IS NULL ORDER BY seq LIMIT 1",
    [runId, name],
  );
  return rows[0] && fromRow(SIGNAL_COLUMNS, rows[0]);
}

export async function takeSignal(db: Queryable, seq: number, by: StepRef, at: number): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE signals SET taken_by = $1, taken_at = $2 WHERE seq = $3 AND run_id = $4 AND taken_at IS NULL",
    [by.stepId, at, seq, by.runId],
  );
  return rowCount === 1;
}

export async function listSignals(db: Queryable, runId: string): Promise<SignalRecord[]> {
  const { rows } = await db.query("SELECT * FROM signals WHERE run_id = $1 ORDER BY seq", [runId]);
  return rows.map((r) => fromRow(SIGNAL_COLUMNS, r));
}

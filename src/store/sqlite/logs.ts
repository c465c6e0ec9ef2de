import type { LogLine } from "../../core/types.js";
import type { StatementCache } from "./statements.js";

/** Step log lines (stdout, stderr), in the order they were written. */

export function appendLogs(sql: StatementCache, lines: readonly LogLine[]): void {
  const text = "INSERT INTO logs (run_id, step_id, attempt, at, stream, line) VALUES (?, ?, ?, ?, ?, ?)";
  for (const l of lines) sql.run(text, l.runId, l.stepId, l.attempt, l.at, l.stream, l.line);
}

export function readLogs(sql: StatementCache, runId: string, stepId?: string): LogLine[] {
  const rows =
    stepId === undefined
      ? sql.all("SELECT * FROM logs WHERE run_id = ? ORDER BY id", runId)
      : sql.all("SELECT * FROM logs WHERE run_id = ? AND step_id = ? ORDER BY id", runId, stepId);
  return rows.map((r) => ({
    runId: r.run_id as string,
    stepId: r.step_id as string,
    attempt: Number(r.attempt),
    at: Number(r.at),
    stream: r.stream as LogLine["stream"],
    line: r.line as string,
  }));
}

import type { LogLine } from "../../core/types.js";
import type { Queryable } from "./pg-sql.js";

/** Step log lines (stdout, stderr), in the order they were written. */

/** Insert step log lines in order (their ids order them within a step). */
export async function insertLogs(db: Queryable, lines: readonly LogLine[]): Promise<void> {
  await db.query(
    `INSERT INTO logs (run_id, step_id, attempt, at, stream, line)
     SELECT l.run_id, l.step_id, l.attempt, l.at, l.stream, l.line
     FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[])
       WITH ORDINALITY AS l(run_id, step_id, attempt, at, stream, line, n)
     ORDER BY l.n`,
    [
      lines.map((l) => l.runId),
      lines.map((l) => l.stepId),
      lines.map((l) => l.attempt),
      lines.map((l) => l.at),
      lines.map((l) => l.stream),
      lines.map((l) => l.line),
    ],
  );
}

export async function readLogs(db: Queryable, runId: string, stepId?: string): Promise<LogLine[]> {
  const { rows } =
    stepId === undefined
      ? await db.query("SELECT * FROM logs WHERE run_id = $1 ORDER BY id", [runId])
      : await db.query("SELECT * FROM logs WHERE run_id = $1 AND step_id = $2 ORDER BY id", [runId, stepId]);
  return rows.map((r) => ({
    runId: r.run_id as string,
    stepId: r.step_id as string,
    attempt: Number(r.attempt),
    at: Number(r.at),
    stream: r.stream as LogLine["stream"],
    line: r.line as string,
  }));
}

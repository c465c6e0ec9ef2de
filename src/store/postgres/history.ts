import type { LogLine, NewEvent } from "../../core/types.js";
import { EVENTS_LOCK } from "./migrations.js";
import { NOW_MS, type Queryable, type Row } from "./pg-sql.js";

/** The append-only history of runs: events (numbered in commit order) and step log lines. */

/**
 * Insert events (in order) under a transaction-level advisory lock, and select `extraColumns` (which
 * may use `ins`, the inserted rows, and parameters from $9 on, given in `extraValues`). With a
 * `commitToken`, its row is written by the same statement (see commitOutcome).
 *
 * Why the lock: sequence numbers are handed out at INSERT but become visible at COMMIT. Without it,
 * a transaction could commit seq 11 while seq 10 is still uncommitted, and a reader following
 * `afterSeq` would move past 10 and never see it. Holding the lock from the insert to the commit makes
 * seq order the commit order; it is taken last in the transaction (events are buffered until then),
 * so it is held only for this statement and the COMMIT.
 */
export function insertEvents(
  db: Queryable,
  events: readonly NewEvent[],
  extraColumns: string,
  extraValues: readonly unknown[],
  commitToken: string | null = null,
): Promise<Row[]> {
  const column = <K extends keyof NewEvent>(k: K) => events.map((e) => e[k]);
  return db
    .query(
      `WITH lock AS (SELECT pg_advisory_xact_lock($1, hashtext(current_schema()::text))),
       ins AS (
         INSERT INTO events (run_id, tenant, step_id, type, at, data)
         SELECT e.run_id, e.tenant, e.step_id, e.type, e.at, e.data
         FROM lock, unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
           WITH ORDINALITY AS e(run_id, tenant, step_id, type, at, data, n)
         ORDER BY e.n
         RETURNING seq),
       token AS (INSERT INTO commit_tokens (token, at) SELECT $8::text, ${NOW_MS} WHERE $8::text IS NOT NULL)
       SELECT (SELECT count(*) FROM ins) AS n${extraColumns}`,
      [
        EVENTS_LOCK,
        column("runId"),
        column("tenant"),
        column("stepId"),
        column("type"),
        column("at"),
        events.map((e) => (e.data === null ? null : JSON.stringify(e.data))),
        commitToken,
        ...extraValues,
      ],
    )
    .then((result) => result.rows);
}

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

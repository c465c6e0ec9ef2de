import type { CairnEvent, Json, NewEvent } from "../../core/types.js";
import type { StoreReader } from "../store.js";
import { EVENTS_LOCK } from "./migrations.js";
import { NOW_MS, Params, type Queryable, type Row } from "./pg-sql.js";

/** Events: the append-only history of every run, numbered in commit order. */

type EventFilter = Parameters<StoreReader["readEvents"]>[0];

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

export async function latestEventSeq(db: Queryable): Promise<number> {
  const { rows } = await db.query("SELECT COALESCE(MAX(seq), 0) AS seq FROM events");
  return Number(rows[0]?.seq ?? 0);
}

export async function readEvents(db: Queryable, filter: EventFilter): Promise<CairnEvent[]> {
  const p = new Params();
  const where = [`seq > ${p.add(filter.afterSeq ?? 0)}`];
  if (filter.runId !== undefined) where.push(`run_id = ${p.add(filter.runId)}`);
  if (filter.tenant !== undefined) where.push(`tenant = ${p.add(filter.tenant)}`);
  const { rows } = await db.query(
    `SELECT * FROM events WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ${p.add(filter.limit ?? 1000)}`,
    p.values,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    runId: r.run_id as string,
    tenant: r.tenant as string,
    stepId: (r.step_id as string | null) ?? null,
    type: r.type as CairnEvent["type"],
    at: Number(r.at),
    data: r.data === null ? null : (JSON.parse(r.data as string) as Json),
  }));
}

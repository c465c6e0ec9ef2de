import type { CairnEvent, Json, NewEvent } from "../../core/types.js";
import type { StoreReader } from "../store.js";
import { RUN_KEY, type StatementCache } from "./statements.js";

/** Events: the numbered history of every run, read by the API's event streams. */

type EventFilter = Parameters<StoreReader["readEvents"]>[0];

export function appendEvents(sql: StatementCache, events: readonly NewEvent[]): void {
  // An event's tenant is its run's: it is not stored again with each event.
  const text = `INSERT INTO events (run_key, step_id, type, at, data) VALUES (${RUN_KEY}, ?, ?, ?, ?)`;
  for (const e of events)
    sql.run(text, e.runId, e.stepId, e.type, e.at, e.data === null ? null : JSON.stringify(e.data));
}

export function latestEventSeq(sql: StatementCache): number {
  return Number(sql.one("SELECT COALESCE(MAX(seq), 0) AS seq FROM events")?.seq ?? 0);
}

export function readEvents(sql: StatementCache, filter: EventFilter): CairnEvent[] {
  const where = ["e.seq > ?"];
  const params: unknown[] = [filter.afterSeq ?? 0];
  if (filter.runId !== undefined) {
    where.push(`e.run_key = ${RUN_KEY}`);
    params.push(filter.runId);
  }
  if (filter.tenant !== undefined) {
    where.push("r.tenant = ?");
    params.push(filter.tenant);
  }
  return sql
    .all(
      `SELECT e.seq, r.id AS run_id, r.tenant, e.step_id, e.type, e.at, e.data
       FROM events e JOIN runs r ON r.key = e.run_key
       WHERE ${where.join(" AND ")} ORDER BY e.seq LIMIT ?`,
      ...params,
      filter.limit ?? 1000,
    )
    .map((r) => ({
      seq: Number(r.seq),
      runId: r.run_id as string,
      tenant: r.tenant as string,
      stepId: (r.step_id as string | null) ?? null,
      type: r.type as CairnEvent["type"],
      at: Number(r.at),
      data: r.data === null ? null : (JSON.parse(r.data as string) as Json),
    }));
}

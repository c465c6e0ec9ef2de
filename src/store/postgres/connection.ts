import pg from "pg";
import { CairnError } from "../../core/errors.js";
import { isConnectionError, isTransientConflict, type Queryable } from "./pg-sql.js";
import type { CommitWitness } from "./postgres-tx.js";

const INT8_OID = 20;
/** Deadlocks and serialization failures are retried this many times (each is a fresh transaction). */
const MAX_CONFLICT_RETRIES = 5;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settings of every connection of one store: schema, server-side idle cut-off, int8 as numbers. */
export function connectionConfig(
  url: string,
  options: { schema: string | null; idleInTransactionTimeoutMs: number },
): pg.ClientConfig {
  return {
    connectionString: url,
    keepAlive: true,
    connectionTimeoutMillis: 10_000,
    application_name: "cairn",
    options: [
      options.schema ? `-c search_path=${options.schema}` : "",
      `-c idle_in_transaction_session_timeout=${options.idleInTransactionTimeoutMs}`,
    ].join(" "),
    // int8 (ms timestamps, counts, seq) as numbers, for this store's connections only (not process-wide).
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format as "text")) as never,
    },
  };
}

/**
 * Run `attempt` again after a lost connection (with backoff, for up to `reconnectMs`) or after a
 * deadlock. Both are safe: the server rolled back whatever the attempt had not committed.
 */
export async function retrying<T>(
  attempt: () => Promise<T>,
  options: {
    reconnectMs: number;
    closed: () => boolean;
    /** Retry only the errors this accepts (default: lost connections). */
    only?: (error: unknown) => boolean;
  },
): Promise<T> {
  const retryable = options.only ?? isConnectionError;
  let deadline: number | undefined;
  let conflicts = 0;
  for (let delay = 50; ; delay = Math.min(delay * 2, 2000)) {
    try {
      return await attempt();
    } catch (error) {
      if (options.closed()) throw error;
      if (isTransientConflict(error) && ++conflicts <= MAX_CONFLICT_RETRIES) {
        await sleep(Math.random() * 20 * conflicts);
        continue;
      }
      if (!retryable(error)) throw error;
      deadline ??= Date.now() + options.reconnectMs;
      if (Date.now() > deadline) throw error;
      await sleep(delay);
    }
  }
}

/**
 * Whether a transaction whose COMMIT lost its connection committed, asked on a fresh connection.
 * While the server kept running, pg_xact_status is exact. After a server restart a transaction id
 * whose WAL never reached disk can be handed out again, so the status could describe someone else's
 * transaction: then the transaction's last event row decides (event numbers are never reused), and a
 * transaction without events counts as aborted and runs again (those are idempotent: heartbeats,
 * checkpoints, memos, workflow records).
 */
export async function commitOutcome(
  db: Queryable,
  witness: CommitWitness,
  options: { reconnectMs: number; where: string },
): Promise<"committed" | "aborted"> {
  const deadline = Date.now() + options.reconnectMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      const { rows } = await db.query("SELECT pg_postmaster_start_time()::text AS server_start");
      if (rows[0]?.server_start !== witness.serverStart) {
        if (witness.lastSeq === null) return "aborted";
        const found = await db.query("SELECT 1 FROM events WHERE seq = $1", [witness.lastSeq]);
        return found.rows.length > 0 ? "committed" : "aborted";
      }
      const { rows: status } = await db.query("SELECT pg_xact_status($1::xid8) AS status", [witness.xid]);
      if (status[0]?.status === "committed" || status[0]?.status === "aborted") return status[0].status;
      // "in progress": the server received the COMMIT and has not finished it yet.
    } catch (error) {
      if (!isConnectionError(error)) throw error;
    }
    if (Date.now() > deadline)
      throw new CairnError(
        "STORE",
        `The connection to ${options.where} was lost while committing transaction ${witness.xid}, and its outcome could not be read back within ${options.reconnectMs} ms.`,
      );
    await sleep(delay);
  }
}

/** A connection URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable PostgreSQL URL)";
  }
}

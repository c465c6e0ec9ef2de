import pg from "pg";
import { CairnError } from "../../core/errors.js";
import { isConnectionError, isTransientConflict, NOW_MS, type Queryable } from "./pg-sql.js";

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
    /** Told about each retryable error before the retry (to log an outage). */
    onRetry?: (error: unknown) => void;
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
      options.onRetry?.(error);
      deadline ??= Date.now() + options.reconnectMs;
      if (Date.now() > deadline) throw error;
      await sleep(delay);
    }
  }
}

/**
 * Whether a transaction whose COMMIT lost its connection committed, asked on a fresh connection by
 * inserting its commit token again. The token is random, so only that transaction could have written
 * it: a unique violation means it committed; a successful insert means it did not (and since the
 * token is now taken, it never will). While the transaction is still committing (or its session still
 * holds the row), the insert waits for it, so the answer is never "in progress". Transaction ids and
 * sequence values are not used: after a crash restart PostgreSQL can hand them out again.
 */
export async function commitOutcome(
  db: Queryable,
  token: string,
  options: { reconnectMs: number; where: string },
): Promise<"committed" | "aborted"> {
  const deadline = Date.now() + options.reconnectMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      const { rowCount } = await db.query(
        `INSERT INTO commit_tokens (token, at) VALUES ($1, ${NOW_MS}) ON CONFLICT (token) DO NOTHING`,
        [token],
      );
      return rowCount === 0 ? "committed" : "aborted";
    } catch (error) {
      if (!isConnectionError(error)) throw error;
    }
    if (Date.now() > deadline)
      throw new CairnError(
        "STORE",
        `The connection to ${options.where} was lost while committing, and the outcome could not be read back within ${options.reconnectMs} ms.`,
      );
    await sleep(delay);
  }
}

/** How long commit tokens are kept: far longer than any process takes to read its outcome back. */
export const COMMIT_TOKEN_RETENTION_MS = 60 * 60 * 1000;

/** Delete old commit tokens (a batch; rows another process is deleting are skipped, never waited for). */
export async function deleteOldCommitTokens(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM commit_tokens WHERE token IN (
       SELECT token FROM commit_tokens WHERE at < ${NOW_MS} - $1 LIMIT 10000 FOR UPDATE SKIP LOCKED)`,
    [COMMIT_TOKEN_RETENTION_MS],
  );
  return rowCount ?? 0;
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

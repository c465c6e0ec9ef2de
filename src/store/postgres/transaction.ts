import type pg from "pg";
import type { StoreTx } from "../store.js";
import { commitOutcome } from "./connection.js";
import { isConnectionError, type Queryable } from "./pg-sql.js";
import { PostgresTx } from "./postgres-tx.js";

/** What one write transaction needs of its store. */
export interface TransactionTarget {
  readonly pool: pg.Pool;
  /** The NOTIFY sent with the commit when the transaction made work available. */
  readonly notify: { readonly channel: string; readonly payload: string };
  readonly reconnectMs: number;
  /** The database (password removed) and schema, for messages. */
  readonly where: string;
  /** Told once the transaction committed. */
  readonly onCommit: () => void;
}

/**
 * One attempt of a store transaction: BEGIN, `fn`, COMMIT on one pooled connection. A lost connection
 * fails it (the caller runs `fn` again on a new one); a COMMIT that lost its connection is settled by
 * reading the transaction's commit token back.
 */
export async function transactionOnce<T>(
  target: TransactionTarget,
  fn: (tx: StoreTx) => Promise<T>,
): Promise<T> {
  const client = await target.pool.connect();
  // A checked-out client that loses its connection emits 'error': handled here, reported by the query.
  const onError = () => undefined;
  client.on("error", onError);
  let released = false;
  const release = (error?: Error) => {
    if (released) return;
    released = true;
    client.removeListener("error", onError);
    client.release(error);
  };
  try {
    await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
    const tx = new PostgresTx(client as unknown as Queryable, { write: true });
    let result: T;
    try {
      result = await fn(tx);
    } catch (error) {
      if (!isConnectionError(error)) await client.query("ROLLBACK").catch((e: Error) => release(e));
      throw error;
    }
    const token = await tx.prepareCommit(target.notify);
    try {
      await client.query("COMMIT");
    } catch (error) {
      release(error as Error);
      // No token: nothing was written, so the outcome does not matter.
      if (token === null) return result;
      const outcome = await commitOutcome(target.pool as unknown as Queryable, token, {
        reconnectMs: target.reconnectMs,
        where: target.where,
      });
      if (outcome === "aborted") throw error;
    }
    target.onCommit();
    return result;
  } catch (error) {
    release(isConnectionError(error) ? (error as Error) : undefined);
    throw error;
  } finally {
    release();
  }
}

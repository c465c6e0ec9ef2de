import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { CairnClient } from "../engine/client.js";
import { eventView } from "./views.js";

/** Events read per store query; a backlog is sent in batches this size without waiting. */
const BATCH = 500;

/**
 * How often an open stream checks that its token still holds: a revoked token's streams end within
 * this (one indexed token lookup per stream every 2 s).
 */
export const CREDENTIALS_RECHECK_MS = 2000;

export interface EventStreamOptions {
  /** Which events: one run's, or every run's of a tenant. */
  filter: { runId?: string; tenant: string };
  /** Send events with a seq greater than this (the client's Last-Event-ID). */
  afterSeq: number;
  pollMs: number;
  keepAliveMs: number;
  onInternalError: (error: unknown) => void;
  /** False once the stream's credentials no longer hold (its token was revoked): the stream ends. */
  stillAuthorized: () => Promise<boolean>;
}

/**
 * Server-Sent Events from the store's event log. Each message's `id:` is the event's seq, so a client
 * that reconnects with `Last-Event-ID` continues exactly after the last event it received: seqs are
 * assigned in commit order (SQLite has one writer at a time), so nothing is missed or sent twice.
 * The store is polled: it works the same whichever process wrote the events.
 */
export function streamEvents(
  c: Context,
  source: Pick<CairnClient, "eventsAfter">,
  options: EventStreamOptions,
): Response {
  return streamSSE(c, async (stream) => {
    let after = options.afterSeq;
    let lastWriteAt = Date.now();
    let checkedAt = Date.now();
    let wake: () => void = () => undefined;
    stream.onAbort(() => wake());
    try {
      // A first line at once, so clients (and tests) know the stream is open before any event.
      await stream.write(": connected\n\n");
      while (!stream.aborted) {
        if (Date.now() - checkedAt >= CREDENTIALS_RECHECK_MS) {
          checkedAt = Date.now();
          if (!(await options.stillAuthorized())) {
            await stream.write(": the token was revoked; reconnect with a valid one\n\n");
            return;
          }
        }
        // Sent once what was read is synced (eventsAfter waits for it): an event lost to a power loss
        // would otherwise have a seq that a later event reuses, and a reconnecting client would skip it.
        const events = await source.eventsAfter({ ...options.filter, afterSeq: after, limit: BATCH });
        for (const event of events) {
          if (stream.aborted) return;
          await stream.writeSSE({
            id: String(event.seq),
            event: event.type,
            data: JSON.stringify(eventView(event)),
          });
          after = event.seq;
          lastWriteAt = Date.now();
        }
        if (events.length === BATCH) continue;
        if (Date.now() - lastWriteAt >= options.keepAliveMs) {
          await stream.write(": keep-alive\n\n");
          lastWriteAt = Date.now();
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } catch (error) {
      // The client reconnects with Last-Event-ID; the reason stays in the server's log.
      if (!stream.aborted) options.onInternalError(error);
    }
  });
}

/** Where a stream starts: `Last-Event-ID` (a reconnect) wins over the `after` query parameter. */
export function startSeq(lastEventId: string | undefined, after: number | undefined): number {
  return lastEventId !== undefined ? Number(lastEventId) : (after ?? 0);
}

import { createParser } from "eventsource-parser";
import type { ApiClient } from "./client";
import { apiErrorOf } from "./errors";
import type { CairnEvent } from "./types";

export type StreamState = "connecting" | "open" | "reconnecting" | "closed";

export interface EventStreamOptions {
  /** `/api/events` or `/api/runs/<id>/events`. */
  path: string;
  /** Start after this seq (0: the whole log). */
  afterSeq?: number;
  onEvents: (events: CairnEvent[]) => void;
  onState?: (state: StreamState, detail?: string) => void;
}

const RETRY_MS = [500, 1000, 2000, 5000, 10_000];

/**
 * Server-Sent Events over fetch and a ReadableStream (parsed by eventsource-parser): EventSource cannot send an Authorization
 * header, and the token must not go into the URL. On a dropped connection it reconnects with
 * `Last-Event-ID` = the last seq received, so the server continues exactly after it. Events that
 * arrive in one chunk are delivered together (one React update for a burst of 500 step events).
 * Returns a function that closes the stream.
 */
export function openEventStream(client: ApiClient, options: EventStreamOptions): () => void {
  const controller = new AbortController();
  let lastSeq = options.afterSeq ?? 0;
  let failures = 0;
  const state = (s: StreamState, detail?: string) => options.onState?.(s, detail);

  const connectOnce = async (): Promise<"retry" | "stop"> => {
    const headers = client.headers({ Accept: "text/event-stream" });
    if (lastSeq > 0) headers["Last-Event-ID"] = String(lastSeq);
    const response = await fetch(client.url(options.path), {
      headers,
      signal: controller.signal,
      cache: "no-store",
    });
    if (response.status === 401) {
      client.unauthorized();
      return "stop";
    }
    if (!response.ok || !response.body) {
      const error = await apiErrorOf(response);
      state("closed", error.message);
      // 4xx will not get better by retrying (unknown run, bad request); 5xx might.
      return response.status >= 500 ? "retry" : "stop";
    }
    state("open");
    failures = 0;
    let events: CairnEvent[] = [];
    const parser = createParser({
      onEvent: (message) => {
        const event = parseEvent(message.data);
        if (!event || event.seq <= lastSeq) return;
        lastSeq = event.seq;
        events.push(event);
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "retry";
      parser.feed(value);
      if (events.length > 0) options.onEvents(events);
      events = [];
    }
  };

  const loop = async () => {
    state("connecting");
    while (!controller.signal.aborted) {
      let outcome: "retry" | "stop";
      try {
        outcome = await connectOnce();
      } catch {
        outcome = "retry";
      }
      if (controller.signal.aborted || outcome === "stop") break;
      state("reconnecting");
      const delay = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]!;
      failures++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        controller.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    state("closed");
  };
  void loop();
  return () => controller.abort();
}

function parseEvent(data: string): CairnEvent | null {
  try {
    const value = JSON.parse(data) as CairnEvent;
    return typeof value.seq === "number" && typeof value.type === "string" ? value : null;
  } catch {
    return null;
  }
}

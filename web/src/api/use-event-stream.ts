import { useEffect, useRef, useState } from "react";
import { useApi } from "./context";
import { openEventStream, type StreamState } from "./sse";
import type { CairnEvent } from "./types";

/**
 * Follow an SSE path while mounted, from after `afterSeq` (read when the path is set); `onEvents` may
 * change between renders without reconnecting.
 */
export function useEventStream(
  path: string | null,
  onEvents: (events: CairnEvent[]) => void,
  afterSeq = 0,
): StreamState {
  const client = useApi();
  const handler = useRef(onEvents);
  handler.current = onEvents;
  const [state, setState] = useState<StreamState>("connecting");
  // biome-ignore lint/correctness/useExhaustiveDependencies: afterSeq is where a new stream starts, not a reason to reconnect
  useEffect(() => {
    if (!path) return;
    return openEventStream(client, {
      path,
      afterSeq,
      onEvents: (events) => handler.current(events),
      onState: (s) => setState(s),
    });
  }, [client, path]);
  return state;
}

export function useNow(everyMs: number, active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs, active]);
  return now;
}

/** Whether the viewport is at most `px` wide (rows get taller on phones). */
export function useNarrow(px = 720): boolean {
  const query = `(max-width: ${px}px)`;
  const [narrow, setNarrow] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const on = () => setNarrow(list.matches);
    list.addEventListener("change", on);
    return () => list.removeEventListener("change", on);
  }, [query]);
  return narrow;
}

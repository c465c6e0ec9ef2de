import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useApi } from "../api/context";
import { ApiError, messageOf } from "../api/errors";
import type { StreamState } from "../api/sse";
import type { CairnEvent, RunAttempt, RunDetail } from "../api/types";
import { useEventStream } from "../api/use-event-stream";
import { applyEvents, changesRunStatus, dropUpTo, type LiveOverrides, NO_OVERRIDES } from "./step-events";

export interface RunData {
  /** The run with live statuses applied. */
  run: RunDetail | null;
  history: RunAttempt[];
  /** Every event of the run so far (the timeline is drawn from them). */
  events: CairnEvent[];
  error: string | null;
  notFound: boolean;
  stream: StreamState;
  /** Fetch the run and its history again now (after an action). */
  refresh: () => void;
}

/** How often a busy run is fetched again while events stream in. */
const REFRESH_MS = 300;

/**
 * A run, its history and its events, kept live from `/api/runs/<id>/events`: step statuses from
 * events show at once; the run record and history are fetched again shortly after (at most every
 * 300 ms), and at once when the run's status changes, since its allowed actions change with it.
 */
export function useRun(runId: string): RunData {
  const client = useApi();
  const [detail, setDetail] = useState<RunDetail | null>(null);
  const [history, setHistory] = useState<RunAttempt[]>([]);
  const [events, setEvents] = useState<CairnEvent[]>([]);
  const [overrides, setOverrides] = useState<LiveOverrides>(NO_OVERRIDES);
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);
  const lastSeq = useRef(0);
  const fetchedSeq = useRef(0);
  const inFlight = useRef(false);
  const again = useRef(false);
  const timer = useRef<number | undefined>(undefined);

  const fetchNow = useCallback(async () => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    const seq = lastSeq.current;
    try {
      const [run, h] = await Promise.all([client.getRun(runId), client.history(runId)]);
      fetchedSeq.current = seq;
      setDetail(run);
      setHistory(h.attempts);
      setOverrides((o) => dropUpTo(o, seq));
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setNotFound(true);
      setError(messageOf(e));
    } finally {
      inFlight.current = false;
      if (again.current) {
        again.current = false;
        void fetchNow();
      }
    }
  }, [client, runId]);

  useEffect(() => {
    void fetchNow();
    return () => window.clearTimeout(timer.current);
  }, [fetchNow]);

  const onEvents = useCallback(
    (batch: CairnEvent[]) => {
      lastSeq.current = batch.at(-1)?.seq ?? lastSeq.current;
      setEvents((list) => list.concat(batch));
      setOverrides((o) => applyEvents(o, batch, fetchedSeq.current));
      if (changesRunStatus(batch)) {
        window.clearTimeout(timer.current);
        timer.current = undefined;
        void fetchNow();
      } else if (timer.current === undefined)
        timer.current = window.setTimeout(() => {
          timer.current = undefined;
          void fetchNow();
        }, REFRESH_MS);
    },
    [fetchNow],
  );
  const stream = useEventStream(notFound ? null : `/api/runs/${encodeURIComponent(runId)}/events`, onEvents);

  const run = useMemo(() => {
    if (!detail) return null;
    if (overrides.steps.size === 0) return detail;
    return {
      ...detail,
      steps: detail.steps.map((s) => {
        const o = overrides.steps.get(s.id);
        return o ? { ...s, status: o.status } : s;
      }),
    };
  }, [detail, overrides]);

  return { run, history, events, error, notFound, stream, refresh: () => void fetchNow() };
}

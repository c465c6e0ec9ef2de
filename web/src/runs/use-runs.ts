import { useCallback, useEffect, useRef, useState } from "react";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { StreamState } from "../api/sse";
import type { CairnEvent, Run, RunStatus } from "../api/types";
import { useEventStream } from "../api/use-event-stream";
import { lastRunEvents, RUN_STATUS_AFTER } from "./run-events";
import { apiQuery, filtersProblem, filtersToParams, type RunFilters, runMatches } from "./run-filters";

const PAGE_SIZE = 50;

export interface RunsState {
  runs: Run[];
  loading: boolean;
  error: string | null;
  hasMore: boolean;
  loadMore: () => void;
  /** Read the first page again (after a bulk action). */
  reload: () => void;
  stream: StreamState;
}

/**
 * One filtered, cursor-paginated list of runs (newest first), kept live from `/api/events`: a
 * listed run's badge follows its events, and a new run that matches the filters appears on top.
 * The server filters and pages (`GET /api/runs` with the filters); the browser never filters a page.
 * The stream starts at the first page's `eventSeq`, so loading the list never replays the history
 * of every run (it costs one page, however many runs the store holds).
 */
export function useRuns(filters: RunFilters): RunsState {
  const client = useApi();
  const [runs, setRuns] = useState<Run[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const runsRef = useRef(runs);
  runsRef.current = runs;
  const cursorRef = useRef(cursor);
  cursorRef.current = cursor;
  const [streamFrom, setStreamFrom] = useState<number | null>(null);
  // The filters by value: a new object with the same filters reads nothing again.
  const key = filtersToParams(filters).toString();
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the reload trigger, key the filters
  useEffect(() => {
    const abort = new AbortController();
    const problem = filtersProblem(filtersRef.current);
    setError(problem);
    if (problem) {
      setRuns([]);
      setCursor(null);
      setLoading(false);
      return;
    }
    setLoading(true);
    client
      .listRuns({ ...apiQuery(filtersRef.current), limit: PAGE_SIZE }, abort.signal)
      .then((page) => {
        // The stream opens once, after the first page: later pages and filters are read while it runs.
        setStreamFrom((from) => from ?? page.eventSeq);
        setRuns(page.runs);
        setCursor(page.nextCursor);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(e));
      })
      .finally(() => {
        if (!abort.signal.aborted) setLoading(false);
      });
    return () => abort.abort();
  }, [client, key, generation]);

  const loadMore = useCallback(() => {
    if (!cursor) return;
    setLoading(true);
    client
      .listRuns({ ...apiQuery(filtersRef.current), limit: PAGE_SIZE, cursor })
      .then((page) => {
        setRuns((list) => {
          const seen = new Set(list.map((r) => r.id));
          return [...list, ...page.runs.filter((r) => !seen.has(r.id))];
        });
        setCursor(page.nextCursor);
      })
      .catch((e: unknown) => setError(messageOf(e)))
      .finally(() => setLoading(false));
  }, [client, cursor]);

  // Runs to fetch again, gathered for a moment so that a burst of events costs one request per run.
  const pending = useRef(new Set<string>());
  const timer = useRef<number | undefined>(undefined);
  const refetch = useCallback(
    (ids: string[]) => {
      for (const id of ids) pending.current.add(id);
      if (timer.current !== undefined) return;
      timer.current = window.setTimeout(() => {
        timer.current = undefined;
        const batch = [...pending.current];
        pending.current.clear();
        for (const id of batch)
          client
            .getRun(id)
            .then((detail) => {
              const {
                steps: _steps,
                lineage: _lineage,
                orphaned: _orphaned,
                waiting: _waiting,
                ...run
              } = detail;
              setRuns((list) => upsert(list, run, filtersRef.current, cursorRef.current !== null));
            })
            .catch(() => undefined);
      }, 150);
    },
    [client],
  );
  useEffect(() => () => window.clearTimeout(timer.current), []);

  const onEvents = useCallback(
    (events: CairnEvent[]) => {
      const byId = new Map(runsRef.current.map((r) => [r.id, r]));
      const changed = new Map<string, RunStatus>();
      const fetch: string[] = [];
      for (const [runId, event] of lastRunEvents(events)) {
        const known = byId.get(runId);
        // A listed run may already show this change (the page was read after it).
        if (known && event.at < known.updatedAt) continue;
        if (known) changed.set(runId, RUN_STATUS_AFTER[event.type]!);
        fetch.push(runId);
      }
      if (changed.size > 0)
        setRuns((current) =>
          current.map((r) => (changed.has(r.id) ? { ...r, status: changed.get(r.id)! } : r)),
        );
      if (fetch.length > 0) refetch(fetch);
    },
    [refetch],
  );
  const stream = useEventStream(streamFrom === null ? null : "/api/events", onEvents, streamFrom ?? 0);

  return { runs, loading, error, hasMore: cursor !== null, loadMore, reload, stream };
}

/**
 * Put a fresh copy of a run in the list if it matches the filters (new runs on top); a run older than
 * the last loaded one belongs to a page not loaded yet.
 */
function upsert(list: Run[], run: Run, filters: RunFilters, hasMore: boolean): Run[] {
  const index = list.findIndex((r) => r.id === run.id);
  if (index >= 0) return list.map((r, i) => (i === index ? run : r));
  if (!runMatches(run, filters)) return list;
  const oldest = list.at(-1);
  if (hasMore && oldest && run.createdAt < oldest.createdAt) return list;
  return [run, ...list].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
}

import type { CairnEvent } from "../api/types";

export type BarOutcome = "running" | "succeeded" | "failed" | "retrying" | "cancelled" | "interrupted";

/** One execution of a step's handler, from its `step.started` event to the event that ended it. */
export interface Bar {
  attempt: number;
  start: number;
  /** null while it runs. */
  end: number | null;
  outcome: BarOutcome;
}

export interface Timeline {
  bars: Map<string, Bar[]>;
  /** Earliest and latest instants drawn. */
  start: number;
  end: number;
  /** Run attempts: where the run was started and each resume, for vertical markers. */
  marks: Array<{ at: number; label: string }>;
}

const ENDS: Partial<Record<CairnEvent["type"], BarOutcome>> = {
  "step.succeeded": "succeeded",
  "step.failed": "failed",
  "step.retrying": "retrying",
  "step.cancelled": "cancelled",
  "step.reset": "interrupted",
  "step.recovered": "interrupted",
};

/** The Gantt of a run's step attempts, read from its events (each attempt, not only the last). */
export function buildTimeline(events: readonly CairnEvent[], now: number): Timeline {
  const bars = new Map<string, Bar[]>();
  const marks: Timeline["marks"] = [];
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  let runAttempt = 0;
  for (const e of events) {
    if (e.type === "run.created" || e.type === "run.resumed") {
      runAttempt++;
      marks.push({ at: e.at, label: runAttempt === 1 ? "started" : `resume ${runAttempt - 1}` });
      start = Math.min(start, e.at);
    }
    if (!e.stepId) {
      end = Math.max(end, e.at);
      continue;
    }
    const list = bars.get(e.stepId) ?? [];
    const open = list.at(-1)?.end === null ? list.at(-1) : undefined;
    if (e.type === "step.started") {
      if (open) open.end = e.at;
      const attempt =
        typeof (e.data as { attempt?: unknown } | null)?.attempt === "number"
          ? (e.data as { attempt: number }).attempt
          : list.length + 1;
      list.push({ attempt, start: e.at, end: null, outcome: "running" });
      bars.set(e.stepId, list);
      start = Math.min(start, e.at);
    } else if (open && ENDS[e.type]) {
      open.end = e.at;
      open.outcome = ENDS[e.type]!;
    }
    end = Math.max(end, e.at);
  }
  let running = false;
  for (const list of bars.values()) if (list.some((b) => b.end === null)) running = true;
  if (running) end = Math.max(end, now);
  if (!Number.isFinite(start)) start = end;
  return { bars, start, end: Math.max(end, start + 1), marks };
}

/** Left offset and width of an interval as percentages of the timeline. */
export function span(t: Timeline, from: number, to: number): { left: number; width: number } {
  const total = t.end - t.start;
  const left = ((from - t.start) / total) * 100;
  const width = Math.max(0.4, ((to - from) / total) * 100);
  return { left: Math.min(100, Math.max(0, left)), width: Math.min(100 - Math.min(100, left), width) };
}

/**
 * Active time: how long at least one step was executing (the union of every attempt's bar, so two
 * parallel steps of 2 s count 2 s, and a wait for a resume counts nothing). Compare with wall time,
 * from the run's creation to its end.
 */
export function activeMs(t: Timeline, now: number): number {
  const spans = [...t.bars.values()]
    .flat()
    .map((b) => [b.start, b.end ?? now] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let from = Number.NEGATIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const [start, end] of spans) {
    if (start > to) {
      if (to > from) total += to - from;
      from = start;
      to = end;
    } else to = Math.max(to, end);
  }
  if (to > from) total += to - from;
  return total;
}

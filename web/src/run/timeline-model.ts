import type { CairnEvent } from "../api/types";

export type BarOutcome =
  | "running"
  | "succeeded"
  | "failed"
  | "retrying"
  | "cancelled"
  | "interrupted"
  | "waiting";

/**
 * One execution of a step's handler, from its `step.started` event to the event that ended it; or
 * ("waiting") the time a step spent parked on a signal, a sleep or a child run, from its
 * `step.waiting` event until it ran again or the run stopped.
 */
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
  /** Where the run had stopped (failed, cancelled, interrupted, paused) until a resume continued it. */
  gaps: Array<{ from: number; to: number }>;
}

const ENDS: Partial<Record<CairnEvent["type"], BarOutcome>> = {
  "step.succeeded": "succeeded",
  "step.failed": "failed",
  "step.retrying": "retrying",
  "step.cancelled": "cancelled",
  "step.reset": "interrupted",
  "step.recovered": "interrupted",
};

/** Run events after which the run waits for a person; an attempt still open there ended with it. */
const STOPS: Partial<Record<CairnEvent["type"], BarOutcome | null>> = {
  "run.failed": "interrupted",
  "run.cancelled": "cancelled",
  "run.interrupted": "interrupted",
  // Running steps go on finishing while the run is paused.
  "run.paused": null,
};

/** The Gantt of a run's step attempts, read from its events (each attempt, not only the last). */
export function buildTimeline(events: readonly CairnEvent[], now: number): Timeline {
  const bars = new Map<string, Bar[]>();
  const marks: Timeline["marks"] = [];
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  const gaps: Timeline["gaps"] = [];
  let runAttempt = 0;
  let stoppedAt: number | null = null;
  for (const e of events) {
    const stop = STOPS[e.type];
    if (stop !== undefined) {
      stoppedAt ??= e.at;
      // Without a closing step event (a crash, a cancel), the attempt ends with the run, so the
      // wait that follows is not drawn as part of it.
      if (stop !== null)
        for (const list of bars.values()) {
          const open = list.at(-1);
          if (open && open.end === null) {
            open.end = e.at;
            // A wait the stop ended is still a wait: no step was executing.
            if (open.outcome !== "waiting") open.outcome = stop;
          }
        }
    }
    if (e.type === "run.resumed" && stoppedAt !== null) {
      gaps.push({ from: stoppedAt, to: e.at });
      stoppedAt = null;
    }
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
    } else if (e.type === "step.waiting") {
      // The handler parked: what ran until now was executing; the wait is a bar of its own.
      if (open) open.end = e.at;
      list.push({
        attempt: open?.attempt ?? list.at(-1)?.attempt ?? 1,
        start: e.at,
        end: null,
        outcome: "waiting",
      });
      bars.set(e.stepId, list);
    } else if (open && ENDS[e.type]) {
      open.end = e.at;
      // Settled while parked (marked done, cancelled): the wait stays a wait, the outcome a mark.
      if (open.outcome === "waiting")
        list.push({ attempt: open.attempt, start: e.at, end: e.at, outcome: ENDS[e.type]! });
      else open.outcome = ENDS[e.type]!;
    }
    end = Math.max(end, e.at);
  }
  let running = false;
  for (const list of bars.values()) if (list.some((b) => b.end === null)) running = true;
  if (running) end = Math.max(end, now);
  if (!Number.isFinite(start)) start = end;
  return { bars, start, end: Math.max(end, start + 1), marks, gaps };
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
 * parallel steps of 2 s count 2 s, and a wait for a resume, a signal, a sleep or a child run counts
 * nothing). Compare with wall time, from the run's creation to its end.
 */
export function activeMs(t: Timeline, now: number): number {
  const spans = [...t.bars.values()]
    .flat()
    .filter((b) => b.outcome !== "waiting")
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

const NATURAL = new Intl.Collator("en", { numeric: true });

/** "fetch-2" before "fetch-10": digits compare as numbers. */
export function naturalCompare(a: string, b: string): number {
  return NATURAL.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The timeline's rows: a step after the steps it needs, ties in natural order of ids. Needs on steps
 * the run does not list are ignored (a step that never ran may have no row).
 */
export function timelineOrder(steps: ReadonlyArray<{ id: string; needs: readonly string[] }>): string[] {
  const known = new Set(steps.map((s) => s.id));
  const waiting = new Map(
    steps.map((s) => [s.id, new Set(s.needs.filter((n) => known.has(n) && n !== s.id))]),
  );
  const out: string[] = [];
  const ready = [...waiting].filter(([, needs]) => needs.size === 0).map(([id]) => id);
  while (ready.length > 0) {
    ready.sort(naturalCompare);
    const id = ready.shift()!;
    waiting.delete(id);
    out.push(id);
    for (const [other, needs] of waiting) if (needs.delete(id) && needs.size === 0) ready.push(other);
  }
  // A cycle cannot come from the engine; list whatever is left rather than drop it.
  return out.concat([...waiting.keys()].sort(naturalCompare));
}

/** Tick spacings the axis may use, in ms: 1-2-5 steps, then minutes and hours. */
const TICK_MS = [
  10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
  900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

export interface Tick {
  /** Milliseconds since the timeline's start. */
  offsetMs: number;
  /** Percent from the left. */
  left: number;
  label: string;
}

/** The time axis: at most `maxTicks` + 1 ticks at a round spacing, labelled by time since the start. */
export function axisTicks(t: Timeline, maxTicks = 6): Tick[] {
  const total = t.end - t.start;
  const step = TICK_MS.find((ms) => total / ms <= maxTicks) ?? Math.ceil(total / maxTicks);
  const ticks: Tick[] = [];
  for (let offset = 0; offset <= total; offset += step)
    ticks.push({ offsetMs: offset, left: (offset / total) * 100, label: offsetLabel(offset) });
  return ticks;
}

/** A tick as drawn: its label goes left of its line where it would run past the axis's right end. */
export interface PlacedTick extends Tick {
  labelLeft: boolean;
}

/** About how wide a tick's label is drawn (0.72rem: 7 px a character, and its 3-px padding). */
export function tickLabelPx(label: string): number {
  return label.length * 7 + 6;
}

/**
 * The ticks of an axis `widthPx` wide: one per 70 px at the most (6 at the most), each label right
 * of its line unless it would run past the end; a tick whose label would touch the one before it
 * is left out (on a phone, "1 min" and a right-aligned "1 min 30 s" would otherwise overlap).
 */
export function placeTicks(t: Timeline, widthPx: number): PlacedTick[] {
  const maxTicks = Math.max(1, Math.min(6, Math.floor(widthPx / 70)));
  const out: PlacedTick[] = [];
  let freeFrom = Number.NEGATIVE_INFINITY;
  for (const tick of axisTicks(t, maxTicks)) {
    const x = (tick.left / 100) * widthPx;
    const labelPx = tickLabelPx(tick.label);
    const labelLeft = x + labelPx > widthPx;
    if ((labelLeft ? x - labelPx : x) < freeFrom) continue;
    out.push({ ...tick, labelLeft });
    freeFrom = (labelLeft ? x : x + labelPx) + 4;
  }
  return out;
}

/** "0 s", "500 ms", "15 s", "2 min", "1 min 30 s", "1 h 30 min". */
export function offsetLabel(ms: number): string {
  if (ms === 0) return "0 s";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${ms / 1000} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  if (min < 60) return s === 0 ? `${min} min` : `${min} min ${s} s`;
  const m = min % 60;
  return m === 0 ? `${Math.floor(min / 60)} h` : `${Math.floor(min / 60)} h ${m} min`;
}

/**
 * What each row is called: its label, or its id when it has none; a label several steps share gets
 * the step id after it ("Fetch (fetch-2)"), so no two rows read the same.
 */
export function rowLabels(steps: ReadonlyArray<{ id: string; label: string | null }>): Map<string, string> {
  const uses = new Map<string, number>();
  for (const s of steps) if (s.label) uses.set(s.label, (uses.get(s.label) ?? 0) + 1);
  return new Map(
    steps.map((s) => [
      s.id,
      !s.label
        ? s.id
        : (uses.get(s.label) ?? 0) > 1 || steps.some((o) => o.id === s.label && o !== s)
          ? `${s.label} (${s.id})`
          : s.label,
    ]),
  );
}

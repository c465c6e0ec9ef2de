import assert from "node:assert/strict";
import { test } from "node:test";
import type { CairnEvent } from "../../web/src/api/types.js";
import { webModule } from "./helpers/web-module.js";

// The timeline's pure model: attempts from events, the wait for a resume as a gap, the time axis,
// active time and the natural order of rows.
interface Bar {
  attempt: number;
  start: number;
  end: number | null;
  outcome: string;
}
interface Timeline {
  bars: Map<string, Bar[]>;
  start: number;
  end: number;
  marks: Array<{ at: number; label: string }>;
  gaps: Array<{ from: number; to: number }>;
}
const m = await webModule<{
  buildTimeline(events: CairnEvent[], now: number): Timeline;
  activeMs(t: Timeline, now: number): number;
  axisTicks(t: Timeline, maxTicks?: number): Array<{ offsetMs: number; left: number; label: string }>;
  placeTicks(t: Timeline, widthPx: number): Array<{ left: number; label: string; labelLeft: boolean }>;
  tickLabelPx(label: string): number;
  timelineOrder(steps: Array<{ id: string; needs: string[] }>): string[];
  offsetLabel(ms: number): string;
  rowLabels(steps: Array<{ id: string; label: string | null }>): Map<string, string>;
}>("run/timeline-model.ts");

let seq = 0;
function ev(type: CairnEvent["type"], at: number, stepId: string | null = null, data: unknown = null) {
  return { seq: ++seq, runId: "r", stepId, type, at, data } as CairnEvent;
}

test("a run cancelled mid-step and resumed two minutes later: the wait is a gap, not the step's duration", () => {
  const events = [
    ev("run.created", 0),
    ev("step.started", 100, "fetch", { attempt: 1 }),
    ev("run.cancelled", 4_100),
    ev("run.resumed", 124_100),
    ev("step.started", 124_200, "fetch", { attempt: 2 }),
    ev("step.succeeded", 125_200, "fetch"),
    ev("run.succeeded", 125_300),
  ];
  const t = m.buildTimeline(events, 200_000);
  assert.deepEqual(t.bars.get("fetch"), [
    { attempt: 1, start: 100, end: 4_100, outcome: "cancelled" },
    { attempt: 2, start: 124_200, end: 125_200, outcome: "succeeded" },
  ]);
  assert.deepEqual(t.gaps, [{ from: 4_100, to: 124_100 }]);
  assert.deepEqual(
    t.marks.map((x) => x.label),
    ["started", "resume 1"],
  );
  assert.equal(m.activeMs(t, 200_000), 5_000, "4 s before the cancel and 1 s after the resume");
});

test("a failed run resumed: the failed attempt keeps its own end; the gap runs from the failure to the resume", () => {
  const events = [
    ev("run.created", 0),
    ev("step.started", 10, "a", { attempt: 1 }),
    ev("step.failed", 510, "a"),
    ev("run.failed", 520),
    ev("run.resumed", 60_520),
    ev("step.started", 60_600, "a", { attempt: 2 }),
  ];
  const t = m.buildTimeline(events, 62_600);
  assert.deepEqual(
    t.bars.get("a")?.map((b) => [b.start, b.end, b.outcome]),
    [
      [10, 510, "failed"],
      [60_600, null, "running"],
    ],
  );
  assert.deepEqual(t.gaps, [{ from: 520, to: 60_520 }]);
  assert.equal(t.end, 62_600, "a running attempt reaches now");
  assert.equal(m.activeMs(t, 62_600), 500 + 2_000);
});

test("parallel attempts count once in the active time", () => {
  const events = [
    ev("run.created", 0),
    ev("step.started", 0, "left"),
    ev("step.started", 500, "right"),
    ev("step.succeeded", 2_000, "left"),
    ev("step.succeeded", 3_000, "right"),
    ev("step.started", 5_000, "join"),
    ev("step.succeeded", 6_000, "join"),
  ];
  assert.equal(m.activeMs(m.buildTimeline(events, 9_000), 9_000), 3_000 + 1_000);
});

test("a step parked on a signal: the wait is a bar of its own, which active time leaves out", () => {
  const events = [
    ev("run.created", 0),
    ev("step.started", 0, "build", { attempt: 1 }),
    ev("step.succeeded", 1_000, "build"),
    ev("step.started", 1_000, "approve", { attempt: 1 }),
    ev("step.waiting", 1_010, "approve", { kind: "signal", name: "approval" }),
  ];
  const waiting = m.buildTimeline(events, 781_010);
  assert.deepEqual(
    waiting.bars.get("approve")?.map((b) => [b.start, b.end, b.outcome]),
    [
      [1_000, 1_010, "running"],
      [1_010, null, "waiting"],
    ],
  );
  assert.equal(waiting.end, 781_010, "an open wait reaches now");
  assert.equal(m.activeMs(waiting, 781_010), 1_010, "13 min of waiting for the signal count nothing");

  // The signal arrives 13 min later: the step runs again, succeeds, and the run goes on.
  const done = m.buildTimeline(
    [
      ...events,
      ev("run.signalled", 781_000),
      ev("step.started", 781_006, "approve", { attempt: 1 }),
      ev("step.succeeded", 781_036, "approve"),
      ev("run.succeeded", 781_040),
    ],
    900_000,
  );
  assert.deepEqual(
    done.bars.get("approve")?.map((b) => [b.start, b.end, b.outcome]),
    [
      [1_000, 1_010, "running"],
      [1_010, 781_006, "waiting"],
      [781_006, 781_036, "succeeded"],
    ],
  );
  assert.equal(m.activeMs(done, 900_000), 1_010 + 30);
});

test("a run cancelled while a step sleeps: the wait ends with the run and is still no active time", () => {
  const t = m.buildTimeline(
    [
      ev("run.created", 0),
      ev("step.started", 0, "cool-off", { attempt: 1 }),
      ev("step.waiting", 5, "cool-off", { kind: "sleep" }),
      ev("run.cancelled", 60_000),
    ],
    120_000,
  );
  assert.deepEqual(
    t.bars.get("cool-off")?.map((b) => [b.start, b.end, b.outcome]),
    [
      [0, 5, "running"],
      [5, 60_000, "waiting"],
    ],
  );
  assert.equal(m.activeMs(t, 120_000), 5);
});

test("the axis has a few ticks at round spacings, labelled by the time since the start", () => {
  const t = m.buildTimeline([ev("run.created", 1_000), ev("run.succeeded", 149_000)], 0);
  const ticks = m.axisTicks(t, 6);
  assert.deepEqual(
    ticks.map((x) => x.label),
    ["0 s", "30 s", "1 min", "1 min 30 s", "2 min"],
  );
  assert.equal(ticks[0]!.left, 0);
  assert.ok(ticks.every((x) => x.left >= 0 && x.left <= 100));
  const short = m.buildTimeline([ev("run.created", 0), ev("run.succeeded", 900)], 0);
  assert.deepEqual(
    m.axisTicks(short, 6).map((x) => x.label),
    ["0 s", "200 ms", "400 ms", "600 ms", "800 ms"],
  );
  assert.equal(m.offsetLabel(5_400_000), "1 h 30 min");
});

test("a phone's narrow axis gets fewer ticks, and no two labels overlap", () => {
  /** Each label's [from, to] in px on an axis `width` wide, as drawn. */
  const extents = (t: Timeline, width: number) =>
    m.placeTicks(t, width).map((tick) => {
      const x = (tick.left / 100) * width;
      const w = m.tickLabelPx(tick.label);
      return tick.labelLeft ? ([x - w, x] as const) : ([x, x + w] as const);
    });
  // 1 min 42 s on a 210-px axis: 0 s, 30 s, 1 min and a right-aligned "1 min 30 s" would overlap.
  const t = m.buildTimeline([ev("run.created", 0), ev("run.succeeded", 102_000)], 0);
  for (const width of [210, 390, 990]) {
    const spans = extents(t, width);
    assert.ok(spans.length >= 2, `${spans.length} ticks on ${width} px`);
    for (let i = 1; i < spans.length; i++)
      assert.ok(spans[i]![0] > spans[i - 1]![1], `labels ${i - 1} and ${i} apart on ${width} px`);
    for (const [from, to] of spans) assert.ok(from >= 0 && to <= width, `inside the ${width}-px axis`);
  }
  assert.deepEqual(
    m.placeTicks(t, 990).map((x) => x.label),
    ["0 s", "30 s", "1 min", "1 min 30 s"],
  );
  assert.deepEqual(
    m.placeTicks(t, 210).map((x) => x.label),
    ["0 s", "1 min"],
  );
});

test("rows: after the steps they need, ties in natural order (fetch-2 before fetch-10)", () => {
  const fan = ["fetch-10", "fetch-2", "fetch-1", "fetch-11", "fetch-9"];
  const steps = [
    { id: "start", needs: [] },
    ...fan.map((id) => ({ id, needs: ["start"] })),
    { id: "merge", needs: fan },
    { id: "audit", needs: [] },
  ];
  assert.deepEqual(m.timelineOrder(steps), [
    "audit",
    "start",
    "fetch-1",
    "fetch-2",
    "fetch-9",
    "fetch-10",
    "fetch-11",
    "merge",
  ]);
  // A need on a step the run does not list is ignored.
  assert.deepEqual(
    m.timelineOrder([
      { id: "b", needs: ["gone"] },
      { id: "a", needs: ["b"] },
    ]),
    ["b", "a"],
  );
});

test("row names are distinct: a shared label gets its step id, a missing one is the id", () => {
  const names = m.rowLabels([
    { id: "fetch-1", label: "Fetch" },
    { id: "fetch-2", label: "Fetch" },
    { id: "parse", label: "Parse rows" },
    { id: "store", label: null },
    { id: "x", label: "store" },
  ]);
  assert.deepEqual(Object.fromEntries(names), {
    "fetch-1": "Fetch (fetch-1)",
    "fetch-2": "Fetch (fetch-2)",
    parse: "Parse rows",
    store: "store",
    x: "store (x)",
  });
});

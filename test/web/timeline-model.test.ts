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

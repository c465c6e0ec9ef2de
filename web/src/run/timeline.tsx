import { useMemo } from "react";
import type { RunStatus, Step } from "../api/types";
import { stepDisplayStatus } from "../components/status";
import { StatusBadge } from "../components/status-badge";
import { useElementWidth } from "../components/use-element-width";
import { VirtualList } from "../components/virtual-list";
import { formatDuration } from "../format";
import { type Bar, placeTicks, rowLabels, span, type Timeline } from "./timeline-model";

const ROW_HEIGHT = 34;

/** Each kind of bar and what it means; a swatch stays on its words' line when the legend wraps. */
const LEGEND: ReadonlyArray<readonly [Bar["outcome"], string]> = [
  ["succeeded", "succeeded"],
  ["failed", "failed"],
  ["retrying", "retried"],
  ["running", "running"],
  ["cancelled", "cancelled / interrupted"],
  ["waiting", "waiting (signal, sleep, child run)"],
];

/** A Gantt-like chart of every step attempt, one row per step (virtualised for big runs). */
export function TimelineView(props: {
  steps: readonly Step[];
  order: readonly string[];
  timeline: Timeline;
  now: number;
  runStatus: RunStatus;
  selectedId: string | null;
  onSelect: (stepId: string) => void;
}) {
  const { steps, order, timeline, now, runStatus, selectedId, onSelect } = props;
  const byId = useMemo(() => new Map(steps.map((s) => [s.id, s])), [steps]);
  // The ticks depend on the axis's width: fewer on a phone, so that no two labels overlap.
  const [axisRef, axisPx] = useElementWidth<HTMLDivElement>();
  const ticks = useMemo(() => placeTicks(timeline, axisPx ?? 1000), [timeline, axisPx]);
  const names = useMemo(() => rowLabels(steps), [steps]);
  const rows = useMemo(
    () => order.map((id) => byId.get(id)).filter((s): s is Step => s !== undefined),
    [order, byId],
  );
  return (
    <section className="panel timeline" aria-labelledby="timeline-title">
      <div className="panel-head">
        <h2 id="timeline-title">Timeline</h2>
        <span className="muted small">
          {formatDuration(timeline.end - timeline.start)} from start to end · each bar is one attempt, or a
          wait
        </span>
      </div>
      <div className="timeline-legend small" aria-hidden="true">
        {LEGEND.map(([outcome, text]) => (
          <span key={outcome} className="timeline-legend-item">
            <span className={`bar-swatch bar-${outcome}`} /> {text}
          </span>
        ))}
      </div>
      <div className="timeline-axis small" data-testid="timeline-axis" aria-hidden="true" ref={axisRef}>
        {ticks.map((t) => (
          <span
            key={t.offsetMs}
            className={`timeline-tick${t.labelLeft ? " label-left" : ""}`}
            style={{ left: `${t.left}%` }}
            data-testid="timeline-tick"
          >
            {t.label}
          </span>
        ))}
      </div>
      <div className="timeline-body">
        <div className="timeline-marks" aria-hidden="true">
          {timeline.gaps.map((g) => {
            const { left, width } = span(timeline, g.from, g.to);
            return (
              <span
                key={`gap-${g.from}`}
                className="timeline-gap"
                style={{ left: `${left}%`, width: `${width}%` }}
                title={`waiting for a resume: ${formatDuration(g.to - g.from)}`}
                data-testid="timeline-gap"
                data-ms={g.to - g.from}
              >
                <span className="timeline-gap-label">waiting {formatDuration(g.to - g.from)}</span>
              </span>
            );
          })}
          {timeline.marks.map((m) => {
            const left = span(timeline, m.at, m.at).left;
            // Near the right end the label goes on the left of its line, so it stays inside.
            return (
              <span
                key={`${m.at}-${m.label}`}
                className={`timeline-mark${left > 60 ? " label-left" : ""}`}
                style={{ left: `${left}%` }}
              >
                <span className="timeline-mark-label">{m.label}</span>
              </span>
            );
          })}
        </div>
        <VirtualList
          items={rows}
          rowHeight={ROW_HEIGHT}
          maxHeight={ROW_HEIGHT * 12}
          label="Step attempts"
          renderRow={(step, _i, style) => {
            const bars = timeline.bars.get(step.id) ?? [];
            return (
              <li
                key={step.id}
                className="timeline-row"
                style={style}
                data-testid="timeline-row"
                data-step-id={step.id}
              >
                <button
                  type="button"
                  className={`timeline-step${step.id === selectedId ? " is-selected" : ""}`}
                  onClick={() => onSelect(step.id)}
                  aria-pressed={step.id === selectedId}
                >
                  <span
                    className="timeline-step-name"
                    title={names.get(step.id)}
                    data-testid="timeline-step-name"
                  >
                    {names.get(step.id)}
                  </span>
                  {step.recoveries > 0 && (
                    <span className="step-node-tag" data-testid="recovered-tag">
                      recovered
                    </span>
                  )}
                  <StatusBadge status={stepDisplayStatus(step, runStatus)} compact />
                </button>
                <div className="timeline-track">
                  {bars.map((bar, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: a step's bars only ever grow at the end
                    <BarView key={i} bar={bar} timeline={timeline} now={now} />
                  ))}
                  <RunningLabel bars={bars} now={now} />
                  <span className="sr-only">{describe(bars, now)}</span>
                </div>
              </li>
            );
          }}
        />
      </div>
    </section>
  );
}

function BarView({ bar, timeline, now }: { bar: Bar; timeline: Timeline; now: number }) {
  const { left, width } = span(timeline, bar.start, bar.end ?? now);
  return (
    <span
      className={`timeline-bar bar-${bar.outcome}`}
      style={{ left: `${left}%`, width: `${width}%` }}
      title={`attempt ${bar.attempt}: ${bar.outcome}, ${formatDuration((bar.end ?? now) - bar.start)}`}
      data-testid="timeline-bar"
      data-outcome={bar.outcome}
    />
  );
}

/** A running attempt's elapsed time (or a wait's), at the right end of its row (it grows every second). */
function RunningLabel({ bars, now }: { bars: readonly Bar[]; now: number }) {
  const open = bars.at(-1);
  if (!open || open.end !== null) return null;
  return (
    <span className="timeline-elapsed small" data-testid="timeline-elapsed">
      {open.outcome === "waiting" ? "waiting" : "running"} {formatDuration(now - open.start)}
    </span>
  );
}

function describe(bars: readonly Bar[], now: number): string {
  if (bars.length === 0) return "not executed in this run";
  return bars
    .map((b) =>
      b.outcome === "waiting"
        ? `waited ${formatDuration((b.end ?? now) - b.start)}${b.end === null ? " so far" : ""}`
        : `attempt ${b.attempt} ${b.outcome} after ${formatDuration((b.end ?? now) - b.start)}`,
    )
    .join("; ");
}

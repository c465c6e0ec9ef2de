import type { Run } from "../api/types";
import { useNarrow, useNow } from "../api/use-event-stream";
import { LineageMarker, RunLink } from "../components/run-link";
import { StatusBadge } from "../components/status-badge";
import { VirtualList } from "../components/virtual-list";
import { elapsed, firstLine, formatDuration, formatTime } from "../format";

const COLUMNS = ["Status", "Run", "Workflow", "Started", "Ended", "Duration", "Attempts", "Lineage", "Error"];

/** Why a failed or interrupted run stopped (its error, else the interrupt's reason); null for any other. */
function runProblem(run: Run): string | null {
  if (run.status !== "failed" && run.status !== "interrupted") return null;
  return run.error?.message || run.reason || null;
}

const ENDED: readonly Run["status"][] = ["succeeded", "failed", "cancelled"];

/**
 * When the run finished; null until it has (running, paused, interrupted: a resume continues it).
 * A cancel records no `finishedAt`: its end is the cancel, the run's last change (as on the run page).
 */
function endedAt(run: Run): number | null {
  return ENDED.includes(run.status) ? (run.finishedAt ?? run.updatedAt) : null;
}

/**
 * Runs as a virtualised list laid out as a table (cards on a phone): only the visible rows are
 * rendered. Each cell carries its own label for screen readers ("took 1.2 s", "attempts 2"). Each row
 * has a checkbox to select the run for a bulk action. The error cell shows the first line of a failed
 * or interrupted run's error, the whole text in its tooltip.
 */
export function RunsTable(props: {
  runs: readonly Run[];
  selected: ReadonlySet<string>;
  onToggle: (runId: string) => void;
}) {
  const { runs, selected, onToggle } = props;
  const narrow = useNarrow();
  const now = useNow(
    1000,
    runs.some((r) => r.status === "running"),
  );
  const rowHeight = narrow ? 132 : 48;
  return (
    <div className="runs-table">
      <div className="runs-row runs-head" aria-hidden="true">
        {COLUMNS.map((c) => (
          <span key={c} className={`col-${c.toLowerCase()}`}>
            {c}
          </span>
        ))}
      </div>
      <VirtualList
        items={runs}
        rowHeight={rowHeight}
        maxHeight={Math.max(rowHeight * 4, window.innerHeight - (narrow ? 260 : 230))}
        label={`Runs, newest first (${runs.length})`}
        renderRow={(run, _index, style) => (
          <li
            key={run.id}
            className="runs-row"
            style={style}
            data-testid="run-row"
            data-run-id={run.id}
            data-status={run.status}
          >
            <span className="col-status">
              <input
                type="checkbox"
                className="row-select"
                checked={selected.has(run.id)}
                onChange={() => onToggle(run.id)}
                aria-label={`Select run ${run.id}`}
                data-testid="run-select"
              />
              <StatusBadge status={run.status} />
            </span>
            <span className="col-run">
              <RunLink runId={run.id} />
            </span>
            <span className="col-workflow">
              <span className="sr-only">workflow </span>
              {run.workflowId}
            </span>
            <span className="col-started">
              <span className="sr-only">started </span>
              {formatTime(run.createdAt)}
            </span>
            <span className="col-ended">
              {endedAt(run) !== null && (
                <>
                  <span className="cell-label">ended </span>
                  {formatTime(endedAt(run))}
                </>
              )}
            </span>
            <span className="col-duration">
              <span className="cell-label">took </span>
              {formatDuration(
                elapsed(
                  run.createdAt,
                  run.status === "running" ? null : (run.finishedAt ?? run.updatedAt),
                  now,
                ),
              )}
            </span>
            <span className="col-attempts" title="Run attempts: 1 for the first start, +1 per resume">
              <span className="cell-label">attempts </span>
              {run.attempt}
            </span>
            <span className="col-lineage">
              <LineageMarker run={run} />
            </span>
            <ErrorCell text={runProblem(run)} />
          </li>
        )}
      />
    </div>
  );
}

function ErrorCell({ text }: { text: string | null }) {
  if (!text) return <span className="col-error" />;
  return (
    <span className="col-error" title={text}>
      <span className="sr-only">error </span>
      {firstLine(text)}
    </span>
  );
}

import type { Run } from "../api/types";
import { useNarrow, useNow } from "../api/use-event-stream";
import { LineageMarker, RunLink } from "../components/run-link";
import { StatusBadge } from "../components/status-badge";
import { VirtualList } from "../components/virtual-list";
import { elapsed, formatDuration, formatTime } from "../format";

const COLUMNS = ["Status", "Run", "Workflow", "Started", "Duration", "Attempts", "Lineage"];

/**
 * Runs as a virtualised list laid out as a table (cards on a phone): only the visible rows are
 * rendered. Each cell carries its own label for screen readers ("took 1.2 s", "attempts 2"). Each row
 * has a checkbox to select the run for a bulk action.
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
  const rowHeight = narrow ? 92 : 48;
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
          </li>
        )}
      />
    </div>
  );
}

import type { RunDetail } from "../api/types";
import { RunLink } from "../components/run-link";
import { StatusBadge } from "../components/status-badge";

/**
 * Where the run came from (parent, root), the runs made from it (children), and the child runs its
 * steps started, or the step that started it (caller).
 */
export function LineagePanel({ run }: { run: RunDetail }) {
  const { parentRunId, parentDeleted, rootRunId, children, caller, childRuns } = run.lineage;
  return (
    <section className="panel lineage-panel" aria-labelledby="lineage-title" data-testid="lineage-panel">
      <div className="panel-head">
        <h2 id="lineage-title">Lineage</h2>
      </div>
      <dl className="facts">
        <dt>Origin</dt>
        <dd>{run.origin === "start" ? "started" : run.origin}</dd>
        <dt>Parent</dt>
        <dd data-testid="lineage-parent">
          {parentRunId && parentDeleted ? (
            <span className="muted">{parentRunId} (deleted)</span>
          ) : parentRunId ? (
            <RunLink runId={parentRunId} />
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        {caller && (
          <>
            <dt>Started by</dt>
            <dd data-testid="lineage-caller">
              step {caller.stepId} of <RunLink runId={caller.runId} />
            </dd>
          </>
        )}
        {rootRunId !== run.id && rootRunId !== parentRunId && (
          <>
            <dt>Root</dt>
            <dd>
              <RunLink runId={rootRunId} />
            </dd>
          </>
        )}
      </dl>
      <h3>Runs made from this one</h3>
      {children.length === 0 ? (
        <p className="muted">none</p>
      ) : (
        <ul className="children">
          {children.map((c) => (
            <li key={c.id} data-testid="lineage-child">
              <StatusBadge status={c.status} compact /> {c.origin} <RunLink runId={c.id} />
            </li>
          ))}
        </ul>
      )}
      {childRuns.length > 0 && (
        <>
          <h3>Child runs</h3>
          <ul className="children">
            {childRuns.map((c) => (
              <li key={c.id} data-testid="lineage-child-run">
                <StatusBadge status={c.status} compact /> {c.workflowId} <RunLink runId={c.id} />{" "}
                <span className="muted">from step {c.stepId}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

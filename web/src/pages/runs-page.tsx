import { useEffect, useState } from "react";
import { useApi } from "../api/context";
import { RUN_STATUSES, type RunStatus } from "../api/types";
import { LiveIndicator } from "../components/live-indicator";
import { navigate, runsHref } from "../router";
import { BulkActions } from "../runs/bulk-actions";
import { RunsTable } from "../runs/runs-table";
import { useRuns } from "../runs/use-runs";

export function RunsPage(props: { status: string | null; workflow: string | null }) {
  const status = RUN_STATUSES.includes(props.status as RunStatus) ? (props.status as RunStatus) : null;
  const { runs, loading, error, hasMore, loadMore, stream, reload } = useRuns({
    status,
    workflow: props.workflow,
  });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const toggle = (runId: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (!next.delete(runId)) next.add(runId);
      return next;
    });
  const workflows = useWorkflowIds();
  const setFilter = (next: { status?: string | null; workflow?: string | null }) =>
    navigate(runsHref({ status, workflow: props.workflow, ...next }), { replace: true });

  return (
    <main id="main" className="page runs-page">
      <div className="page-head">
        <h1>Runs</h1>
        <LiveIndicator state={stream} />
      </div>
      <form className="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            value={status ?? ""}
            onChange={(e) => setFilter({ status: e.target.value || null })}
            data-testid="status-filter"
          >
            <option value="">all</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Workflow
          <select
            value={props.workflow ?? ""}
            onChange={(e) => setFilter({ workflow: e.target.value || null })}
            data-testid="workflow-filter"
          >
            <option value="">all</option>
            {[...new Set([...workflows, ...(props.workflow ? [props.workflow] : [])])].map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
      </form>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {!loading && runs.length === 0 && !error && (
        <p className="empty">
          No runs{status || props.workflow ? " match these filters" : " yet"}. Start one from the{" "}
          <a href="#/workflows">workflows</a>.
        </p>
      )}
      {selected.size > 0 && (
        <BulkActions selected={[...selected]} onClear={() => setSelected(new Set())} onDone={reload} />
      )}
      {runs.length > 0 && <RunsTable runs={runs} selected={selected} onToggle={toggle} />}
      <div className="list-foot">
        <span className="muted" aria-live="polite">
          {loading
            ? "Loading…"
            : `${runs.length} run${runs.length === 1 ? "" : "s"}${hasMore ? " shown" : ""}`}
        </span>
        {hasMore && (
          <button type="button" className="button" onClick={loadMore} disabled={loading}>
            {loading ? "Loading…" : "Load older runs"}
          </button>
        )}
      </div>
    </main>
  );
}

function useWorkflowIds(): string[] {
  const client = useApi();
  const [ids, setIds] = useState<string[]>([]);
  useEffect(() => {
    const abort = new AbortController();
    client
      .listWorkflows(abort.signal)
      .then((r) => setIds(r.workflows.map((w) => w.id).sort()))
      .catch(() => undefined);
    return () => abort.abort();
  }, [client]);
  return ids;
}

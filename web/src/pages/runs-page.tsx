import { useEffect, useState } from "react";
import { useApi } from "../api/context";
import { LiveIndicator } from "../components/live-indicator";
import { navigate, runsHref } from "../router";
import { BulkActions } from "../runs/bulk-actions";
import { IdSearch, StatusPicker } from "../runs/filter-controls";
import { hasFilters, NO_FILTERS, type RunFilters } from "../runs/run-filters";
import { RunsTable } from "../runs/runs-table";
import { useRuns } from "../runs/use-runs";

export function RunsPage(props: { filters: RunFilters }) {
  const { filters } = props;
  const { runs, loading, error, hasMore, loadMore, stream, reload } = useRuns(filters);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const toggle = (runId: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (!next.delete(runId)) next.add(runId);
      return next;
    });
  const workflows = useWorkflowIds();
  const setFilter = (next: Partial<RunFilters>) =>
    navigate(runsHref({ ...filters, ...next }), { replace: true });

  return (
    <main id="main" className="page runs-page">
      <div className="page-head">
        <h1>Runs</h1>
        <LiveIndicator state={stream} />
      </div>
      <form className="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <IdSearch value={filters.idPrefix} onChange={(idPrefix) => setFilter({ idPrefix })} />
        <StatusPicker value={filters.statuses} onChange={(statuses) => setFilter({ statuses })} />
        <label>
          Workflow
          <select
            value={filters.workflow ?? ""}
            onChange={(e) => setFilter({ workflow: e.target.value || null })}
            data-testid="workflow-filter"
          >
            <option value="">all</option>
            {[...new Set([...workflows, ...(filters.workflow ? [filters.workflow] : [])])].map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          Started from
          <input
            type="date"
            value={filters.from ?? ""}
            onChange={(e) => setFilter({ from: e.target.value || null })}
            data-testid="from-filter"
          />
        </label>
        <label>
          to
          <input
            type="date"
            value={filters.to ?? ""}
            onChange={(e) => setFilter({ to: e.target.value || null })}
            data-testid="to-filter"
          />
        </label>
        {hasFilters(filters) && (
          <button type="button" className="button" onClick={() => setFilter(NO_FILTERS)}>
            Clear filters
          </button>
        )}
      </form>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {!loading && runs.length === 0 && !error && (
        <p className="empty">
          No runs{hasFilters(filters) ? " match these filters" : " yet"}. Start one from the{" "}
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

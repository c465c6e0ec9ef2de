import { useEffect, useState } from "react";
import type { ItemsQuery } from "../api/client";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { Item, ItemDetail, ItemStatus, RunActionState } from "../api/types";
import { useReadOnlyReason } from "../api/use-read-only";
import { JsonView } from "../components/json-view";
import { RunLink } from "../components/run-link";
import { VirtualList } from "../components/virtual-list";
import { formatDuration } from "../format";

/** Cells per row of the grid, and items per page asked of the API (its maximum is 1,000). */
const CELLS_PER_ROW = 12;
const PAGE = 600;
const FILTERS = ["all", "failed", "succeeded"] as const;
type Filter = (typeof FILTERS)[number];

/**
 * A map step's items as a grid of cells coloured by status, a page at a time (only the rows in view
 * are in the DOM, so a map of 100,000 items stays usable), with a status filter, one item's detail
 * on click, and "Rerun failed items" (the run's rerun of its failed steps, plan first).
 */
export function ItemGrid(props: {
  runId: string;
  stepId: string;
  counts: Record<ItemStatus, number>;
  rerun: RunActionState;
  onRerunFailed: () => void;
}) {
  const { runId, stepId, counts } = props;
  const client = useApi();
  const [filter, setFilter] = useState<Filter>("all");
  const [items, setItems] = useState<Item[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  // A read-only token may look at the plan's items but not start the rerun: the button says why.
  const readOnly = useReadOnlyReason();
  const rerun: RunActionState = readOnly ? { allowed: false, reason: readOnly } : props.rerun;
  const query = (after: string | null): ItemsQuery => ({
    limit: PAGE,
    ...(filter === "all" ? {} : { status: filter }),
    ...(after ? { cursor: after } : {}),
  });
  // The first page again when the filter changes or more items settle (the counts move).
  const settled = counts.succeeded + counts.failed;
  // biome-ignore lint/correctness/useExhaustiveDependencies: settled is the refetch trigger
  useEffect(() => {
    const abort = new AbortController();
    client
      .items(runId, stepId, query(null), abort.signal)
      .then((page) => {
        setItems(page.items);
        setCursor(page.nextCursor);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(e));
      });
    return () => abort.abort();
  }, [client, runId, stepId, filter, settled]);

  const loadMore = () => {
    if (!cursor) return;
    client
      .items(runId, stepId, query(cursor))
      .then((page) => {
        setItems((loaded) => [...loaded, ...page.items]);
        setCursor(page.nextCursor);
      })
      .catch((e: unknown) => setError(messageOf(e)));
  };

  const rows: Item[][] = [];
  for (let i = 0; i < items.length; i += CELLS_PER_ROW) rows.push(items.slice(i, i + CELLS_PER_ROW));
  const shown = filter === "all" ? settled : counts[filter];
  return (
    <section className="item-grid" aria-label="Items" data-testid="item-grid">
      <h3>Items</h3>
      <ItemCounts counts={counts} />
      <div className="item-toolbar">
        <fieldset className="segmented" aria-label="Show items">
          {FILTERS.map((f) => (
            <button
              key={f}
              type="button"
              aria-pressed={filter === f}
              onClick={() => setFilter(f)}
              data-testid={`item-filter-${f}`}
            >
              {f === "all"
                ? "All"
                : f === "failed"
                  ? `Failed (${counts.failed})`
                  : `Succeeded (${counts.succeeded})`}
            </button>
          ))}
        </fieldset>
        {counts.failed > 0 && (
          <button
            type="button"
            className="button"
            onClick={rerun.allowed ? props.onRerunFailed : undefined}
            aria-disabled={!rerun.allowed}
            title={rerun.reason ?? "A new run that reuses the succeeded items and runs the failed ones"}
            data-testid="rerun-failed-items"
          >
            Rerun failed items
          </button>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 ? (
        <p className="muted">no {filter === "all" ? "" : `${filter} `}items recorded yet</p>
      ) : (
        <VirtualList
          className="item-rows"
          items={rows}
          rowHeight={26}
          maxHeight={208}
          label={`Items of ${stepId}`}
          renderRow={(row, i, style) => (
            <li key={i} style={style} className="item-row">
              {row.map((item) => (
                <button
                  key={item.key}
                  type="button"
                  className={`item-cell status-${item.status}${item.key === selected ? " is-selected" : ""}`}
                  title={`${item.key}: ${item.status}`}
                  aria-label={`item ${item.key}, ${item.status}`}
                  aria-pressed={item.key === selected}
                  data-testid="item-cell"
                  data-key={item.key}
                  data-status={item.status}
                  onClick={() => setSelected(item.key === selected ? null : item.key)}
                />
              ))}
            </li>
          )}
        />
      )}
      <p className="muted small" data-testid="item-loaded">
        {items.length} of {shown} shown
        {cursor && (
          <>
            {" · "}
            <button
              type="button"
              className="link-button item-load-more"
              onClick={loadMore}
              data-testid="item-load-more"
            >
              load more
            </button>
          </>
        )}
      </p>
      {selected && <ItemPanel runId={runId} stepId={stepId} itemKey={selected} />}
    </section>
  );
}

function ItemCounts({ counts }: { counts: Record<ItemStatus, number> }) {
  const total = counts.succeeded + counts.failed;
  const part = (n: number) => `${total === 0 ? 0 : (100 * n) / total}%`;
  return (
    <>
      <p data-testid="item-counts">
        {counts.succeeded} succeeded · {counts.failed} failed
      </p>
      <div className="item-bar" aria-hidden="true">
        <span className="status-succeeded" style={{ width: part(counts.succeeded) }} />
        <span className="status-failed" style={{ width: part(counts.failed) }} />
      </div>
    </>
  );
}

/** One item: status, attempts, where it ran, its output or error, and its log lines. */
function ItemPanel(props: { runId: string; stepId: string; itemKey: string }) {
  const { runId, stepId, itemKey } = props;
  const client = useApi();
  const [item, setItem] = useState<ItemDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    setItem(null);
    client
      .item(runId, stepId, itemKey, abort.signal)
      .then((d) => {
        setItem(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(e));
      });
    return () => abort.abort();
  }, [client, runId, stepId, itemKey]);
  if (error)
    return (
      <p className="field-error" role="alert">
        {error}
      </p>
    );
  if (!item) return <p className="muted">loading item {itemKey}…</p>;
  return (
    <section className="item-detail" data-testid="item-detail" aria-label={`Item ${item.key}`}>
      <h4 className="mono">item {item.key}</h4>
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="item-status">{item.status}</dd>
        <dt>Attempts</dt>
        <dd>{item.attempts}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(item.finishedAt - item.startedAt)}</dd>
        {item.fromRunId && (
          <>
            <dt>Reused from</dt>
            <dd>
              <RunLink runId={item.fromRunId} />
            </dd>
          </>
        )}
      </dl>
      {item.error ? (
        <pre className="error-text" data-testid="item-error">
          {item.error.message}
        </pre>
      ) : (
        <JsonView value={item.output} label="item output" />
      )}
      {item.logs.length > 0 && (
        <pre className="logs mono item-logs" data-testid="item-logs">
          {item.logs.map((l) => l.line).join("\n")}
        </pre>
      )}
    </section>
  );
}

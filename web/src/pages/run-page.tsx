import { useCallback, useMemo, useState } from "react";
import { useNow } from "../api/use-event-stream";
import { LiveIndicator } from "../components/live-indicator";
import { LineageMarker } from "../components/run-link";
import { stepDisplayStatus } from "../components/status";
import { StatusBadge } from "../components/status-badge";
import { elapsed, formatDuration, formatTime } from "../format";
import { navigate, runHref, runsHref, workflowHref } from "../router";
import { topologicalOrder } from "../run/graph";
import { GraphView } from "../run/graph-view";
import { HistoryList } from "../run/history-list";
import { LineagePanel } from "../run/lineage-panel";
import { PickBanner } from "../run/pick-banner";
import { RunActions } from "../run/run-actions";
import { StepPanel } from "../run/step-panel";
import { TimelineView } from "../run/timeline";
import { useRun } from "../run/use-run";
import { useRunActions } from "../run/use-run-actions";

export function RunPage({ runId, stepId }: { runId: string; stepId: string | null }) {
  const { run, history, events, error, notFound, stream, refresh } = useRun(runId);
  const actions = useRunActions(runId, refresh, run?.secretNames);
  const [picking, setPicking] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const now = useNow(1000, run?.status === "running");

  const select = useCallback(
    (id: string | null) => {
      if (picking && id) {
        setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
        return;
      }
      navigate(runHref(runId, id), { replace: true });
    },
    [picking, runId],
  );
  const stopPicking = useCallback(() => {
    setPicking(false);
    setPicked([]);
  }, []);

  const steps = run?.steps;
  const order = useMemo(() => (steps ? topologicalOrder(steps) : []), [steps]);
  const graphSteps = useMemo(
    () =>
      (steps ?? []).map((s) => ({
        id: s.id,
        needs: s.needs,
        label: s.label,
        status: stepDisplayStatus(s, run?.status ?? "running"),
        attempts: s.attempts,
        items: s.items,
      })),
    [steps, run?.status],
  );

  if (!run)
    return (
      <main id="main" className="page">
        <p>
          <a href={runsHref()}>← Runs</a>
        </p>
        {error ? (
          <p className="field-error" role="alert">
            {notFound ? `Run ${runId} does not exist (or belongs to another tenant).` : error}
          </p>
        ) : (
          <p aria-live="polite">Loading run…</p>
        )}
      </main>
    );

  const selected = run.steps.find((s) => s.id === stepId) ?? null;
  const duration = elapsed(
    run.createdAt,
    run.status === "running" ? null : (run.finishedAt ?? run.updatedAt),
    now,
  );
  return (
    <main id="main" className="page run-page" data-testid="run-page" data-status={run.status}>
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={runsHref()}>Runs</a> / <a href={workflowHref(run.workflowId)}>{run.workflowId}</a>
      </nav>
      <div className="page-head run-head">
        <h1>
          Run <span className="mono run-id">{run.id}</span>
        </h1>
        <span data-testid="run-status">
          <StatusBadge status={run.status} />
        </span>
        <LiveIndicator state={stream} />
      </div>
      <p className="run-facts small">
        <span>started {formatTime(run.createdAt)}</span>
        <span>took {formatDuration(duration)}</span>
        <span data-testid="run-attempt">attempt {run.attempt}</span>
        <LineageMarker run={run} />
      </p>
      {run.reason && run.status !== "succeeded" && <p className="muted small">Reason: {run.reason}</p>}
      {run.error && (
        <p className="run-error" role="note">
          <strong>Error:</strong> {run.error.message}
        </p>
      )}
      <RunActions run={run} actions={actions} onPick={() => setPicking(true)} />
      {picking && (
        <PickBanner
          steps={run.steps}
          chosen={picked}
          onToggle={(id) => select(id)}
          onConfirm={() => {
            actions.openRerun({ from: picked });
            stopPicking();
          }}
          onCancel={stopPicking}
        />
      )}
      <div className={`run-main${selected ? " with-panel" : ""}`}>
        <GraphView
          steps={graphSteps}
          selectedId={selected?.id ?? null}
          onSelect={select}
          picking={picking}
          picked={picked}
          label={`Graph of run ${run.id}`}
        />
        {selected && (
          <StepPanel
            runId={run.id}
            step={selected}
            runStatus={run.status}
            rerun={run.actions.rerun}
            onRerunFailed={() => actions.openRerun({ failed: true })}
            onClose={() => select(null)}
          />
        )}
      </div>
      <TimelineView
        steps={run.steps}
        order={order}
        events={events}
        runStatus={run.status}
        selectedId={selected?.id ?? null}
        onSelect={select}
      />
      <div className="run-bottom">
        <HistoryList attempts={history} />
        <LineagePanel run={run} />
      </div>
    </main>
  );
}

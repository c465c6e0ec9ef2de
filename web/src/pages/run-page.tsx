import { useCallback, useEffect, useMemo, useState } from "react";
import { useNow } from "../api/use-event-stream";
import { LiveIndicator } from "../components/live-indicator";
import { LineageMarker } from "../components/run-link";
import { stepDisplayStatus } from "../components/status";
import { StatusBadge } from "../components/status-badge";
import { elapsed, formatDuration, formatTime, timeZoneName } from "../format";
import { navigate, runHref, runsHref, workflowHref } from "../router";
import { FailureBanner } from "../run/failure-banner";
import { GraphView } from "../run/graph-view";
import { HistoryList } from "../run/history-list";
import { LineagePanel } from "../run/lineage-panel";
import { PickBanner } from "../run/pick-banner";
import { RunActions } from "../run/run-actions";
import { RunIo } from "../run/run-io";
import { StepPanel } from "../run/step-panel";
import { TimelineView } from "../run/timeline";
import { activeMs, buildTimeline, timelineOrder } from "../run/timeline-model";
import { useRun } from "../run/use-run";
import { useRunActions } from "../run/use-run-actions";
import { WaitBanner } from "../run/wait-banner";

export function RunPage({ runId, stepId }: { runId: string; stepId: string | null }) {
  const { run, history, events, error, notFound, stream, refresh } = useRun(runId);
  const actions = useRunActions(runId, refresh, run?.secretNames);
  const [picking, setPicking] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const now = useNow(1000, run?.status === "running");
  const timeline = useMemo(() => buildTimeline(events, now), [events, now]);
  useTabTitle(run ? `${run.id} · ${run.workflowId} — Cairn` : `${runId} — Cairn`);

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
  const order = useMemo(() => (steps ? timelineOrder(steps) : []), [steps]);
  const graphSteps = useMemo(
    () =>
      (steps ?? []).map((s) => ({
        id: s.id,
        needs: s.needs,
        label: s.label,
        status: stepDisplayStatus(s, run?.status ?? "running"),
        attempts: s.attempts,
        items: s.items,
        recovered: s.recoveries > 0,
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
  const finished = run.status === "running" ? null : (run.finishedAt ?? run.updatedAt);
  const wall = elapsed(run.createdAt, finished, now);
  const active = activeMs(timeline, now);
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
        {/* A finished run changes only when someone acts on it: "live" would promise motion. */}
        {FOLLOWED.includes(run.status) && <LiveIndicator state={stream} />}
      </div>
      <p className="run-facts small">
        <span data-testid="run-started">started {formatTime(run.createdAt)}</span>
        {finished !== null && <span data-testid="run-finished">finished {formatTime(finished)}</span>}
        <span data-testid="run-timezone">times in {timeZoneName()}</span>
        <span
          data-testid="run-active"
          data-ms={active}
          title="Time during which at least one step was executing (waits for a resume, a signal, a sleep or a child run count nothing)"
        >
          active {formatDuration(active)}
        </span>
        <span
          data-testid="run-wall"
          data-ms={wall ?? undefined}
          title="From the run's start to its end (or now), waits included"
        >
          wall {formatDuration(wall)}
          {run.status === "running" ? " so far" : ""}
        </span>
        <span data-testid="run-attempt">attempt {run.attempt}</span>
        {run.workflowVersion && (
          <span
            data-testid="run-version"
            title="The stored version of the workflow this run executes (resume keeps it)"
          >
            version <span className="mono">{run.workflowVersion}</span>
          </span>
        )}
        <LineageMarker run={run} />
      </p>
      {run.reason && run.status !== "succeeded" && <p className="muted small">Reason: {run.reason}</p>}
      <FailureBanner run={run} onSelect={select} />
      <WaitBanner run={run} onSelect={select} />
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
      <RunIo run={run} />
      <TimelineView
        steps={run.steps}
        order={order}
        timeline={timeline}
        now={now}
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

/** Statuses whose page still moves by itself; on the others no "live" indicator is shown. */
const FOLLOWED: readonly string[] = ["running", "paused"];

/** The browser tab names what the page shows, so several open runs can be told apart. */
function useTabTitle(title: string): void {
  useEffect(() => {
    document.title = title;
    return () => {
      document.title = "Cairn";
    };
  }, [title]);
}

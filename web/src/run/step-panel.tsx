import { useEffect, useRef, useState } from "react";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { RunActionState, RunStatus, Step, StepDetail } from "../api/types";
import { useNarrow, useNow } from "../api/use-event-stream";
import { JsonView } from "../components/json-view";
import { RunLink } from "../components/run-link";
import { stepDisplayStatus } from "../components/status";
import { StatusBadge } from "../components/status-badge";
import { formatDuration, formatTime } from "../format";
import { ItemGrid } from "./item-grid";
import { provenanceText } from "./provenance";
import { SignalAnswer } from "./signal-form";
import { StepLogs } from "./step-logs";

/** Optional parts the API may add later; shown when present. */
type StepDetailPlus = StepDetail & {
  error: (StepDetail["error"] & { stack?: string }) | null;
  memos?: Array<{ key: string; at?: number; value?: unknown }>;
};

/** Everything about one step of a run: attempts, timing, output, error, checkpoint, logs, provenance. */
export function StepPanel(props: {
  runId: string;
  step: Step;
  runStatus: RunStatus;
  /** Whether a rerun is possible now (for a map's "Rerun failed items"), and its start. */
  rerun: RunActionState;
  onRerunFailed: () => void;
  onClose: () => void;
}) {
  const { runId, step, runStatus, onClose } = props;
  const client = useApi();
  const [detail, setDetail] = useState<StepDetailPlus | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Fetched again whenever the step moves on (a new attempt, a new status), and every 2 s while it
  // runs: its log lines and checkpoints are not in the event stream.
  const tick = useNow(2000, step.status === "running");
  const now = useNow(1000, step.status === "running");
  const version = `${step.status}:${step.attempts}:${step.finishedAt ?? ""}:${step.status === "running" ? tick : ""}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: version is the refetch trigger
  useEffect(() => {
    const abort = new AbortController();
    client
      .getStep(runId, step.id, abort.signal)
      .then((d) => {
        setDetail(d);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(e));
      });
    return () => abort.abort();
  }, [client, runId, step.id, version]);

  // On a phone the panel sits below the graph: bring it into view when a node is opened.
  const panel = useRef<HTMLElement>(null);
  const narrow = useNarrow();
  // biome-ignore lint/correctness/useExhaustiveDependencies: step.id is the trigger (another node opened)
  useEffect(() => {
    if (narrow) panel.current?.scrollIntoView({ block: "start" });
  }, [narrow, step.id]);

  const provenance = provenanceText(step.provenance, step.attempts);
  const shown = detail && detail.id === step.id ? detail : null;
  return (
    <aside
      ref={panel}
      className="panel step-panel"
      aria-labelledby="step-panel-title"
      data-testid="step-panel"
    >
      <div className="panel-head">
        <h2 id="step-panel-title">{step.label ?? step.id}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close step details">
          ×
        </button>
      </div>
      <dl className="facts">
        <dt>Step</dt>
        <dd className="mono">{step.id}</dd>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={stepDisplayStatus(step, runStatus)} />
        </dd>
        <dt>Attempts</dt>
        <dd data-testid="step-attempts">
          {step.attempts}
          {step.recoveries > 0 && ` (${step.recoveries} crash recover${step.recoveries === 1 ? "y" : "ies"})`}
        </dd>
        <dt>Duration</dt>
        <dd data-testid="step-duration">
          {step.status === "running" && step.startedAt !== null
            ? `${formatDuration(now - step.startedAt)} so far`
            : formatDuration(step.durationMs)}
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(step.startedAt)}</dd>
        {step.finishedAt !== null && (
          <>
            <dt>Finished</dt>
            <dd>{formatTime(step.finishedAt)}</dd>
          </>
        )}
        <dt>Provenance</dt>
        <dd data-testid="step-provenance">
          {provenance.text}
          {provenance.fromRunId && (
            <>
              {" "}
              <RunLink runId={provenance.fromRunId} stepId={step.id} />
            </>
          )}
        </dd>
        {step.needs.length > 0 && (
          <>
            <dt>Needs</dt>
            <dd className="mono">{step.needs.join(", ")}</dd>
          </>
        )}
      </dl>
      {step.error && (
        <section className="step-error" aria-label="Error">
          <h3>Error{step.error.code ? ` (${step.error.code})` : ""}</h3>
          <pre className="error-text">{step.error.message}</pre>
          {shown?.error?.stack && (
            <details>
              <summary>{step.error.code === "COMMAND_FAILED" ? "Last stderr lines" : "Stack trace"}</summary>
              <pre className="error-text">{shown.error.stack}</pre>
            </details>
          )}
        </section>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {step.waiting?.kind === "signal" && step.waiting.signal !== null && runStatus === "running" && (
        <SignalAnswer runId={runId} stepId={step.id} wait={step.waiting} signal={step.waiting.signal} />
      )}
      {step.items && (
        <ItemGrid
          runId={runId}
          stepId={step.id}
          counts={step.items}
          rerun={props.rerun}
          onRerunFailed={props.onRerunFailed}
        />
      )}
      <h3>Output</h3>
      <JsonView value={step.output} label="output" />
      {shown && (
        <>
          <h3>Last checkpoint</h3>
          <JsonView value={shown.checkpoint} label="checkpoint" />
          {shown.memos && (
            <>
              <h3>Memoized sub-steps</h3>
              {shown.memos.length === 0 ? (
                <p className="muted">none</p>
              ) : (
                <ul className="memos">
                  {shown.memos.map((m) => (
                    <li key={m.key} className="mono">
                      {m.key}
                      {m.at ? ` · ${formatTime(m.at)}` : ""}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
          {shown.vars !== null &&
            shown.vars !== undefined &&
            Object.keys(shown.vars as object).length > 0 && (
              <>
                <h3>Variables set</h3>
                <JsonView value={shown.vars} label="variables" />
              </>
            )}
          <h3>Logs</h3>
          <StepLogs runId={runId} stepId={step.id} lines={shown.logs} running={step.status === "running"} />
        </>
      )}
    </aside>
  );
}

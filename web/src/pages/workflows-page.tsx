import { useEffect, useState } from "react";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { LatestFailed, Workflow, WorkflowSummary } from "../api/types";
import { RunLink } from "../components/run-link";
import { formatTime } from "../format";
import { runHref, runsHref, workflowHref } from "../router";
import { GraphView } from "../run/graph-view";
import { SchedulesPanel } from "../workflows/schedules-panel";
import { StartRunForm } from "../workflows/start-run-form";

export function WorkflowsPage({ workflowId }: { workflowId: string | null }) {
  const client = useApi();
  const [list, setList] = useState<WorkflowSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    client
      .listWorkflows(abort.signal)
      .then((r) => setList(r.workflows))
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(e));
      });
    return () => abort.abort();
  }, [client]);
  const current = workflowId ?? list?.[0]?.id ?? null;

  return (
    <main id="main" className="page workflows-page">
      <h1>Workflows</h1>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {list && list.length === 0 && (
        <p className="empty">
          No workflows are registered or stored. Start the server with <code>--workflows &lt;dir&gt;</code>,
          or store one with <code>cairn workflows push</code>.
        </p>
      )}
      <div className="workflows-layout">
        {list && list.length > 0 && (
          <nav className="workflow-list" aria-label="Workflows">
            <ul>
              {list.map((w) => (
                <li key={w.id}>
                  <a
                    href={workflowHref(w.id)}
                    aria-current={w.id === current ? "page" : undefined}
                    data-testid="workflow-link"
                  >
                    <span className="mono">{w.id}</span>
                    <span className="muted small">
                      {w.stepCount} step{w.stepCount === 1 ? "" : "s"}
                    </span>
                    {w.stored && (
                      <span className="muted small workflow-stored" data-testid="workflow-stored">
                        stored · <span className="mono">{w.stored.version}</span> · {w.stored.versionCount}{" "}
                        version{w.stored.versionCount === 1 ? "" : "s"}
                      </span>
                    )}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {current && <WorkflowDetail key={current} workflowId={current} />}
      </div>
    </main>
  );
}

function WorkflowDetail({ workflowId }: { workflowId: string }) {
  const client = useApi();
  const [workflow, setWorkflow] = useState<Workflow | null>(null);
  const [latest, setLatest] = useState<LatestFailed | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    client
      .getWorkflow(workflowId, abort.signal)
      .then(setWorkflow)
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(messageOf(e));
      });
    client
      .latestFailed(workflowId, abort.signal)
      .then(setLatest)
      .catch(() => setLatest(null));
    return () => abort.abort();
  }, [client, workflowId]);

  if (error)
    return (
      <p className="field-error" role="alert">
        {error}
      </p>
    );
  if (!workflow) return <p aria-live="polite">Loading {workflowId}…</p>;
  return (
    <section className="workflow-detail" aria-labelledby="workflow-title">
      <div className="page-head">
        <h2 id="workflow-title" className="mono">
          {workflow.id}
        </h2>
        <a href={runsHref({ workflow: workflow.id })}>All runs of {workflow.id}</a>
      </div>
      {workflow.stored && (
        <p data-testid="workflow-version">
          Stored workflow: newest version <span className="mono">{workflow.stored.version}</span> of{" "}
          {workflow.stored.versionCount}. Runs started here use it.
        </p>
      )}
      <p className="muted small">
        {workflow.stepCount} step{workflow.stepCount === 1 ? "" : "s"} ·{" "}
        {workflow.stored ? "stored" : "updated"} {formatTime(workflow.updatedAt)} · recovery{" "}
        {workflow.recovery}
        {workflow.failFast ? " · fail fast" : ""}
      </p>
      <div className="panel latest-failed" data-testid="latest-failed">
        <h3>Latest failed run</h3>
        {latest === undefined && <p className="muted">Looking…</p>}
        {latest === null && <p className="muted">No failed run.</p>}
        {latest && (
          <>
            <p>
              <RunLink runId={latest.run.id} />{" "}
              <span className="muted small">{formatTime(latest.run.createdAt)}</span>
            </p>
            <ul className="failed-steps">
              {latest.failed.map((f) => (
                <li key={f.stepId}>
                  <a href={runHref(latest.run.id, f.stepId)}>
                    <strong>{f.label ?? f.stepId}</strong>
                  </a>
                  : <span className="error-text">{f.error}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      <SchedulesPanel workflowId={workflow.id} />
      <GraphView
        steps={workflow.steps.map((s) => ({
          id: s.id,
          needs: s.needs,
          label: s.label,
          status: null,
          attempts: 0,
        }))}
        label={`Graph of workflow ${workflow.id}`}
      />
      <StartRunForm workflow={workflow} />
    </section>
  );
}

import { type FormEvent, useId, useState } from "react";
import { useApi } from "../api/context";
import { ApiError, messageOf } from "../api/errors";
import type { Workflow } from "../api/types";
import { useReadOnlyReason } from "../api/use-read-only";
import { useToasts } from "../components/toasts";
import { navigate, runHref } from "../router";
import { checkInput, type JsonSchema } from "./input-check";

/**
 * Start a run: the input as JSON, checked before it is sent (syntax, and the workflow's input schema
 * when the API gives it), an optional run id, then any secrets the workflow declares.
 */
export function StartRunForm({ workflow }: { workflow: Workflow }) {
  const client = useApi();
  const toasts = useToasts();
  const [text, setText] = useState("{}");
  const [runId, setRunId] = useState("");
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const errorId = useId();
  const inputId = useId();
  const schema = (workflow.inputSchema ?? null) as JsonSchema | null;
  const readOnly = useReadOnlyReason();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (readOnly) return;
    const checked = checkInput(text, schema);
    if (!checked.ok) {
      setProblems(checked.problems);
      return;
    }
    const missing = workflow.secrets.filter((s) => !secrets[s]);
    if (missing.length > 0) {
      setProblems(missing.map((s) => `Secret ${s} is needed.`));
      return;
    }
    setProblems([]);
    setBusy(true);
    try {
      const { run, created } = await client.startRun(workflow.id, {
        input: checked.value,
        ...(workflow.secrets.length > 0 ? { secrets } : {}),
        ...(runId.trim() ? { runId: runId.trim() } : {}),
        // A stored workflow starts its newest version, the one this page draws.
        ...(workflow.stored ? { version: "latest" } : {}),
      });
      toasts.success(
        created
          ? `Started run ${run.id} of ${workflow.id}.`
          : `Run ${run.id} already existed: nothing started, here it is.`,
      );
      navigate(runHref(run.id));
    } catch (error) {
      // A 422 is the server's own schema check, a 409 a run id another workflow has: shown in the form.
      if (error instanceof ApiError && (error.status === 422 || error.status === 409))
        setProblems([error.message, ...issuesOf(error.details)]);
      else toasts.error(messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel start-form" onSubmit={submit} aria-labelledby={`${inputId}-title`} noValidate>
      <h2 id={`${inputId}-title`}>Start a run</h2>
      <label htmlFor={inputId}>
        Input (JSON){workflow.hasInputSchema ? ", checked against the workflow's input schema" : ""}
      </label>
      <textarea
        id={inputId}
        className="mono json-editor"
        rows={8}
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (problems.length > 0) setProblems([]);
        }}
        aria-invalid={problems.length > 0 || undefined}
        aria-describedby={problems.length > 0 ? errorId : undefined}
        data-testid="input-editor"
      />
      <label className="secret-field">
        <span>Run id (optional: a new id is made; an id that exists opens that run)</span>
        <input
          className="mono"
          value={runId}
          maxLength={128}
          onChange={(e) => setRunId(e.target.value)}
          data-testid="run-id-input"
        />
      </label>
      {workflow.secrets.map((name) => (
        <label key={name} className="secret-field">
          <span>
            Secret <span className="mono">{name}</span>
          </span>
          <input
            type="password"
            autoComplete="off"
            value={secrets[name] ?? ""}
            onChange={(e) => setSecrets((s) => ({ ...s, [name]: e.target.value }))}
          />
        </label>
      ))}
      {problems.length > 0 && (
        <ul id={errorId} className="field-error" role="alert" data-testid="input-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <button
        type="submit"
        className="button primary"
        disabled={busy}
        aria-disabled={readOnly ? true : undefined}
        title={readOnly ?? undefined}
        data-testid="start-run"
      >
        {busy ? "Starting…" : "Start run"}
      </button>
      {readOnly && (
        <p className="muted small" data-testid="start-run-refusal">
          {readOnly}
        </p>
      )}
    </form>
  );
}

function issuesOf(details: unknown): string[] {
  const issues = (details as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.map((i) => {
    const issue = i as { path?: unknown[]; message?: string };
    const where = Array.isArray(issue.path) && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return `${where}${issue.message ?? JSON.stringify(i)}`;
  });
}

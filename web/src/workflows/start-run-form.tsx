import { type FormEvent, useId, useMemo, useState } from "react";
import { useApi } from "../api/context";
import { ApiError, messageOf } from "../api/errors";
import type { Workflow } from "../api/types";
import { useReadOnlyReason } from "../api/use-read-only";
import { FieldInput } from "../components/schema-field";
import {
  type SchemaForm,
  schemaData,
  schemaForm,
  schemaValues,
  type Values,
} from "../components/schema-form-model";
import { useToasts } from "../components/toasts";
import { navigate, runHref } from "../router";
import { checkInput, type JsonSchema } from "./input-check";

type InputMode = "form" | "json";

/**
 * Start a run: the input in a form built from the workflow's input schema (one field per property,
 * filled with its defaults) or as JSON, checked before it is sent (syntax, and the schema when the
 * API gives it), an optional run id, then any secrets the workflow declares. A schema that is not
 * an object of properties (or none) leaves only the JSON editor.
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
  const form = useMemo<SchemaForm>(() => ({ ...schemaForm(schema), decision: null }), [schema]);
  const [mode, setMode] = useState<InputMode>(form.fields ? "form" : "json");
  const [values, setValues] = useState<Values>(() => schemaValues(form, defaultsOf(schema)));
  const readOnly = useReadOnlyReason();

  /** The input as JSON text, from whichever editor is shown; null (and the problem shown) when a field cannot be read. */
  const inputText = (): string | null => {
    if (mode === "json") return text;
    const built = schemaData(form, values);
    if ("problem" in built) {
      setProblems([built.problem]);
      return null;
    }
    return JSON.stringify(built.data ?? {});
  };
  const switchTo = (next: InputMode) => {
    if (next === mode) return;
    if (next === "json") {
      const built = schemaData(form, values);
      if ("problem" in built) return setProblems([built.problem]);
      setText(JSON.stringify(built.data ?? {}, null, 2));
    } else {
      const checked = checkInput(text, null);
      if (!checked.ok) return setProblems(checked.problems);
      setValues(schemaValues(form, checked.value));
    }
    setProblems([]);
    setMode(next);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (readOnly) return;
    const input = inputText();
    if (input === null) return;
    const checked = checkInput(input, schema);
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
      {form.fields && (
        <fieldset className="segmented" aria-label="Edit the input as">
          {(["form", "json"] as const).map((m) => (
            <button
              key={m}
              type="button"
              aria-pressed={mode === m}
              onClick={() => switchTo(m)}
              data-testid={`input-mode-${m}`}
            >
              {m === "form" ? "Form" : "JSON"}
            </button>
          ))}
        </fieldset>
      )}
      {mode === "form" && form.fields ? (
        <div className="input-fields" data-testid="input-fields">
          <p className="muted small">Input, checked against the workflow's input schema:</p>
          {form.fields.map((f) => (
            <FieldInput
              key={f.name}
              field={f}
              value={values[f.name]}
              onChange={(name, value) => {
                setValues((v) => ({ ...v, [name]: value }));
                if (problems.length > 0) setProblems([]);
              }}
            />
          ))}
        </div>
      ) : (
        <>
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
        </>
      )}
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

/** The `default` of each property of an object schema, as an input object (the form's first values). */
function defaultsOf(schema: JsonSchema | null): Record<string, unknown> {
  const properties = (schema?.properties ?? {}) as Record<string, { default?: unknown }>;
  return Object.fromEntries(
    Object.entries(properties)
      .filter(([, p]) => p && typeof p === "object" && p.default !== undefined)
      .map(([name, p]) => [name, p.default]),
  );
}

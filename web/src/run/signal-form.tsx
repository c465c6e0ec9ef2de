import { useMemo, useState } from "react";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { StepWait } from "../api/types";
import { useReadOnlyReason } from "../api/use-read-only";
import { FieldInput } from "../components/schema-field";
import { schemaData, schemaForm, type Values } from "../components/schema-form-model";
import { useToasts } from "../components/toasts";
import { waitText } from "./wait-text";

/**
 * The answer to a step waiting for a signal: a form built from the wait's schema (see
 * components/schema-form-model.ts), sent as `POST /api/runs/{id}/signals/{name}`. A refusal (data that does not
 * fit the schema: 422) stays under the form with the server's reason; nothing was kept.
 */
export function SignalAnswer(props: { runId: string; stepId: string; wait: StepWait; signal: string }) {
  const { runId, stepId, wait, signal } = props;
  const client = useApi();
  const toasts = useToasts();
  const readOnly = useReadOnlyReason();
  const form = useMemo(() => schemaForm(wait.schema), [wait.schema]);
  const [values, setValues] = useState<Values>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const set = (name: string, value: string | boolean) => setValues((v) => ({ ...v, [name]: value }));

  const send = async (decision?: boolean) => {
    const built = schemaData(form, values, decision);
    if ("problem" in built) {
      setProblem(built.problem);
      return;
    }
    setSending(true);
    try {
      const result = await client.signal(runId, signal, built.data);
      setProblem(null);
      toasts.success(
        result.wokeStep
          ? `Signal "${signal}" sent: step ${result.wokeStep} continues.`
          : `Signal "${signal}" sent.`,
      );
    } catch (e) {
      setProblem(messageOf(e));
    } finally {
      setSending(false);
    }
  };

  const disabled = sending || readOnly !== null;
  return (
    <form
      className="signal-form"
      aria-label={`Answer signal ${signal}`}
      data-testid="signal-form"
      data-step-id={stepId}
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <h3>Waiting for signal “{signal}”</h3>
      {wait.until !== null && <p className="muted small">{waitText(wait)}</p>}
      {form.fields === null ? (
        <label className="field">
          <span>Data (JSON{wait.schema ? ", checked against the wait's schema" : ""})</span>
          <textarea
            className="mono"
            rows={4}
            value={String(values[""] ?? "")}
            onChange={(e) => set("", e.target.value)}
          />
        </label>
      ) : (
        form.fields
          .filter((f) => f.name !== form.decision)
          .map((f) => <FieldInput key={f.name} field={f} value={values[f.name]} onChange={set} />)
      )}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {readOnly && <p className="muted small">{readOnly}</p>}
      <div className="signal-buttons">
        {form.decision !== null ? (
          <>
            <button
              type="button"
              className="button primary"
              disabled={disabled}
              onClick={() => void send(true)}
            >
              Approve
            </button>
            <button type="button" className="button" disabled={disabled} onClick={() => void send(false)}>
              Reject
            </button>
          </>
        ) : (
          <button type="submit" className="button primary" disabled={disabled}>
            Send signal
          </button>
        )}
      </div>
    </form>
  );
}

import { ON_CHANGE, type OnChange, type ResumePlan } from "../api/types";
import { Modal } from "../components/modal";
import { VirtualList } from "../components/virtual-list";
import { ACTION_TEXT, ON_CHANGE_TEXT, planViewModel } from "./plan-model";
import { PlanVersions } from "./plan-versions";
import { optionsProblem, type ResumeOptions, ResumeOptionsFields } from "./resume-options";

const ROW_HEIGHT = 40;

/** The words that differ between resume's dialog and a rerun's. */
const KIND_TEXT = {
  resume: {
    testId: "plan-dialog",
    confirmTestId: "confirm-resume",
    loading: "Computing the resume plan…",
    changedSince: "since the run started",
    who: "resume",
    listLabel: "Resume plan: what happens to each step",
  },
  rerun: {
    testId: "rerun-plan-dialog",
    confirmTestId: "confirm-rerun",
    loading: "Computing the rerun plan…",
    changedSince: "since this run ran",
    who: "the rerun",
    listLabel: "Rerun plan: what happens to each step",
  },
} as const;

export interface PlanDialogProps {
  /** Resume this run in place (default), or rerun it as a new run. */
  kind?: "resume" | "rerun";
  /** The dialog's title; default "Resume run ID?". */
  title?: string;
  runId: string;
  plan: ResumePlan | null;
  loading: boolean;
  /** Why the plan could not be fetched. */
  error: string | null;
  onChange: OnChange;
  onChangeChoice: (value: OnChange) => void;
  /** Resume only: its options, and what to do when they change (show the plan they give). */
  options?: ResumeOptions;
  onOptions?: (value: ResumeOptions) => void;
  /** Steps a resume may mark done (those that did not succeed). */
  markable?: readonly string[];
  secrets: Readonly<Record<string, string>>;
  onSecret: (name: string, value: string) => void;
  labels: ReadonlyMap<string, string | null>;
  busy: boolean;
  onConfirm: () => void;
  onClose: () => void;
}

/**
 * Resume's confirm dialog: what resume will do with every step and why (the API's dry-run plan), the
 * onChange choices when the definition changed, and the secrets the run needs.
 */
export function PlanDialog(props: PlanDialogProps) {
  const { plan, loading, error, busy } = props;
  const kind = props.kind ?? "resume";
  const text = KIND_TEXT[kind];
  const model = plan
    ? planViewModel(plan, {
        labels: props.labels,
        secrets: props.secrets,
        busy,
        onChange: props.onChange,
        kind,
      })
    : null;
  return (
    <Modal
      title={props.title ?? `Resume run ${props.runId}?`}
      onClose={props.onClose}
      wide
      testId={text.testId}
      footer={
        <>
          <button type="button" className="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="button primary"
            disabled={
              !model?.canConfirm ||
              loading ||
              (props.options ? optionsProblem(props.options) !== null : false)
            }
            onClick={props.onConfirm}
            data-testid={text.confirmTestId}
          >
            {model?.confirmLabel ?? (kind === "resume" ? "Resume run" : "Start the rerun")}
          </button>
        </>
      }
    >
      {loading && !plan && <p aria-live="polite">{text.loading}</p>}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {plan && model && (
        <>
          {kind === "resume" ? (
            <p>
              Resume continues this run in place: steps marked <strong>keep</strong> are not executed again;{" "}
              {model.executes} step{model.executes === 1 ? "" : "s"} will execute.
            </p>
          ) : (
            <p>
              A <strong>new run</strong> executes {model.executes} step{model.executes === 1 ? "" : "s"}.
              Steps marked <strong>keep</strong> reuse the recorded output of the run their row names. This
              run stays as it is.
            </p>
          )}
          {kind === "rerun" && model.versions && <PlanVersions versions={model.versions} />}
          <p className="plan-summary" data-testid="plan-summary">
            {model.counts.map((c) => (
              <span key={c.action} className={`plan-count action-${c.action}`}>
                {c.count} {ACTION_TEXT[c.action].label}
              </span>
            ))}
          </p>
          {model.offerOnChange && (
            <fieldset className="on-change" data-testid="on-change">
              <legend>
                The definition changed {text.changedSince} for{" "}
                {plan.changed.map((id, i) => (
                  <span key={id}>
                    {i > 0 && ", "}
                    <code>{id}</code>
                  </span>
                ))}
                . What should {text.who} do with {plan.changed.length === 1 ? "it" : "them"}?
              </legend>
              {ON_CHANGE.map((value) => (
                <label key={value} className="radio">
                  <input
                    type="radio"
                    name="on-change"
                    value={value}
                    checked={props.onChange === value}
                    onChange={() => props.onChangeChoice(value)}
                    disabled={loading || busy}
                  />
                  <span>
                    <strong>{ON_CHANGE_TEXT[value].label}</strong>{" "}
                    <span className="muted">{ON_CHANGE_TEXT[value].description}</span>
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {kind === "resume" && props.options && props.onOptions && (
            <ResumeOptionsFields
              value={props.options}
              markable={props.markable ?? []}
              disabled={busy}
              onChange={props.onOptions}
            />
          )}
          {model.refusal && (
            <p className="refusal" role="alert" data-testid="plan-refusal">
              {model.refusal}
            </p>
          )}
          {plan.secretsNeeded.length > 0 && (
            <fieldset className="secrets">
              <legend>This run needs its secrets again (they are never stored):</legend>
              {plan.secretsNeeded.map((name) => (
                <label key={name}>
                  <span className="mono">{name}</span>
                  <input
                    type="password"
                    autoComplete="off"
                    value={props.secrets[name] ?? ""}
                    onChange={(e) => props.onSecret(name, e.target.value)}
                  />
                </label>
              ))}
            </fieldset>
          )}
          <div className="plan-table">
            <div className="plan-row plan-head" aria-hidden="true">
              <span>Step</span>
              <span>Action</span>
              <span>Why</span>
            </div>
            <VirtualList
              items={model.rows}
              rowHeight={ROW_HEIGHT}
              maxHeight={ROW_HEIGHT * 9}
              label={text.listLabel}
              renderRow={(row, _index, style) => (
                <li
                  key={row.stepId}
                  className="plan-row"
                  style={style}
                  data-testid="plan-row"
                  data-step-id={row.stepId}
                  data-action={row.action}
                >
                  <span className="plan-cell plan-step" title={row.stepId}>
                    {row.label ?? row.stepId}
                  </span>
                  <span className="plan-cell">
                    <span
                      className={`plan-action action-${row.action}`}
                      title={ACTION_TEXT[row.action].meaning}
                    >
                      {ACTION_TEXT[row.action].label}
                    </span>
                  </span>
                  <span className="plan-cell plan-why" title={row.why}>
                    <span className="sr-only">because </span>
                    {row.why}
                  </span>
                </li>
              )}
            />
          </div>
        </>
      )}
    </Modal>
  );
}

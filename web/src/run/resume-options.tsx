/** Resume's strategy options, as the API's resume request takes them; null: the workflow's default. */
export interface ResumeOptions {
  retryFailed: boolean | null;
  maxAttempts: number | null;
  resetAttempts: boolean;
  /** A step to record as succeeded with this output (JSON text), then continue. */
  markDone: { stepId: string; output: string } | null;
}

export const DEFAULT_RESUME_OPTIONS: ResumeOptions = {
  retryFailed: null,
  maxAttempts: null,
  resetAttempts: false,
  markDone: null,
};

interface StrategyFields {
  retryFailed?: boolean;
  maxAttempts?: number;
  resetAttempts?: boolean;
}

function strategyFields(o: ResumeOptions): StrategyFields {
  return {
    ...(o.retryFailed !== null ? { retryFailed: o.retryFailed } : {}),
    ...(o.maxAttempts !== null ? { maxAttempts: o.maxAttempts } : {}),
    ...(o.resetAttempts ? { resetAttempts: true } : {}),
  };
}

/** The options as the plan's query: only those set (an unset one keeps the workflow's default). */
export function resumePlanFields(o: ResumeOptions): StrategyFields & { markDone?: string } {
  return { ...strategyFields(o), ...(o.markDone ? { markDone: o.markDone.stepId } : {}) };
}

/** The options as the resume request's fields; call only when `optionsProblem` is null. */
export function resumeBodyFields(
  o: ResumeOptions,
): StrategyFields & { markDone?: { stepId: string; output: unknown } } {
  return {
    ...strategyFields(o),
    ...(o.markDone ? { markDone: { stepId: o.markDone.stepId, output: JSON.parse(o.markDone.output) } } : {}),
  };
}

/** Why the options cannot be sent (the output to mark a step done with is not JSON), or null. */
export function optionsProblem(o: ResumeOptions): string | null {
  if (!o.markDone) return null;
  try {
    JSON.parse(o.markDone.output);
    return null;
  } catch {
    return "The output to mark the step done with is not valid JSON.";
  }
}

/**
 * The resume dialog's options. Each change asks the API for the plan again, so the rows always show
 * what these options would do before anything runs.
 */
export function ResumeOptionsFields(props: {
  value: ResumeOptions;
  /** Steps that did not succeed: those a resume may mark done. */
  markable: readonly string[];
  disabled: boolean;
  onChange: (value: ResumeOptions) => void;
}) {
  const { value, disabled, onChange } = props;
  const problem = optionsProblem(value);
  return (
    <fieldset className="resume-options" data-testid="resume-options">
      <legend>Options</legend>
      <label>
        <span>Failed steps</span>
        <select
          value={value.retryFailed === null ? "default" : value.retryFailed ? "retry" : "keep"}
          disabled={disabled}
          onChange={(e) =>
            onChange({
              ...value,
              retryFailed: e.target.value === "default" ? null : e.target.value === "retry",
            })
          }
          data-testid="option-retry-failed"
        >
          <option value="default">the workflow's default</option>
          <option value="retry">retry them</option>
          <option value="keep">do not retry them</option>
        </select>
      </label>
      <label>
        <span>Max attempts per step</span>
        <input
          type="number"
          min={1}
          max={100}
          placeholder="the workflow's"
          value={value.maxAttempts ?? ""}
          disabled={disabled}
          onChange={(e) => {
            const n = e.target.value === "" ? null : Number(e.target.value);
            if (n === null || (Number.isInteger(n) && n >= 1 && n <= 100))
              onChange({ ...value, maxAttempts: n });
          }}
          data-testid="option-max-attempts"
        />
      </label>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={value.resetAttempts}
          disabled={disabled}
          onChange={(e) => onChange({ ...value, resetAttempts: e.target.checked })}
          data-testid="option-reset-attempts"
        />
        <span>Reset attempts (forget those already used)</span>
      </label>
      {props.markable.length > 0 && (
        <div className="mark-done">
          <label>
            <span>Mark a step done</span>
            <select
              value={value.markDone?.stepId ?? ""}
              disabled={disabled}
              onChange={(e) =>
                onChange({
                  ...value,
                  markDone: e.target.value
                    ? { stepId: e.target.value, output: value.markDone?.output ?? "null" }
                    : null,
                })
              }
              data-testid="option-mark-done"
            >
              <option value="">none</option>
              {props.markable.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          {value.markDone && (
            <label className="mark-done-output">
              <span>with the output (JSON)</span>
              <textarea
                className="mono"
                rows={2}
                value={value.markDone.output}
                disabled={disabled}
                aria-invalid={problem ? true : undefined}
                onChange={(e) =>
                  value.markDone &&
                  onChange({ ...value, markDone: { ...value.markDone, output: e.target.value } })
                }
                data-testid="option-mark-done-output"
              />
            </label>
          )}
          {problem && (
            <p className="field-error" role="alert" data-testid="option-problem">
              {problem}
            </p>
          )}
        </div>
      )}
    </fieldset>
  );
}

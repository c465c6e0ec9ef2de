/** Resume's strategy options, as the API's resume request takes them; null: the workflow's default. */
export interface ResumeOptions {
  retryFailed: boolean | null;
  maxAttempts: number | null;
  resetAttempts: boolean;
}

export const DEFAULT_RESUME_OPTIONS: ResumeOptions = {
  retryFailed: null,
  maxAttempts: null,
  resetAttempts: false,
};

/** The options as request fields: only those set (an unset one keeps the workflow's default). */
export function resumeOptionFields(o: ResumeOptions): {
  retryFailed?: boolean;
  maxAttempts?: number;
  resetAttempts?: boolean;
} {
  return {
    ...(o.retryFailed !== null ? { retryFailed: o.retryFailed } : {}),
    ...(o.maxAttempts !== null ? { maxAttempts: o.maxAttempts } : {}),
    ...(o.resetAttempts ? { resetAttempts: true } : {}),
  };
}

/**
 * The resume dialog's options. Each change asks the API for the plan again, so the rows always show
 * what these options would do before anything runs.
 */
export function ResumeOptionsFields(props: {
  value: ResumeOptions;
  disabled: boolean;
  onChange: (value: ResumeOptions) => void;
}) {
  const { value, disabled, onChange } = props;
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
    </fieldset>
  );
}

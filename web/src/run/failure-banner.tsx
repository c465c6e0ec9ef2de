import type { RunDetail } from "../api/types";
import { failedNodes } from "./run-from-failed-model";

/**
 * Why the run failed: its own error, then every failed step with the first line of its error (two
 * failed parallel branches are two lines, not one). A step's name opens its panel.
 */
export function FailureBanner({ run, onSelect }: { run: RunDetail; onSelect: (stepId: string) => void }) {
  const failed = failedNodes(run.steps);
  if (!run.error && failed.length === 0) return null;
  return (
    <section className="run-error" role="note" aria-label="Errors" data-testid="error-banner">
      {run.error && (
        <p>
          <strong>Error:</strong> {run.error.message}
        </p>
      )}
      {failed.length > 0 && (
        <>
          <p>
            <strong>{failed.length === 1 ? "1 step failed:" : `${failed.length} steps failed:`}</strong>
          </p>
          <ul className="failed-steps">
            {failed.map((f) => (
              <li key={f.stepId} data-testid="failed-step" data-step-id={f.stepId}>
                <button type="button" className="link-button" onClick={() => onSelect(f.stepId)}>
                  {f.label ?? f.stepId}
                </button>
                : {f.error}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

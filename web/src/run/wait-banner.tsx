import type { RunDetail } from "../api/types";
import { waitText } from "./wait-text";

/**
 * What a running run waits for: each parked step with its wait ("waiting for signal "approve"",
 * "sleeping until …"). A step's name opens its panel, where a signal is answered.
 */
export function WaitBanner({ run, onSelect }: { run: RunDetail; onSelect: (stepId: string) => void }) {
  const parked = run.status === "running" ? run.steps.filter((s) => s.waiting !== null) : [];
  if (parked.length === 0) return null;
  return (
    <section className="run-waiting" role="note" aria-label="Waiting" data-testid="wait-banner">
      <p>
        <strong>{parked.length === 1 ? "1 step waits:" : `${parked.length} steps wait:`}</strong>
      </p>
      <ul className="failed-steps">
        {parked.map((s) => (
          <li key={s.id} data-testid="waiting-step" data-step-id={s.id}>
            <button type="button" className="link-button" onClick={() => onSelect(s.id)}>
              {s.label ?? s.id}
            </button>
            : {s.waiting && waitText(s.waiting)}
            {s.waiting?.kind === "signal" ? " (answer it in the step's panel)" : ""}
          </li>
        ))}
      </ul>
    </section>
  );
}

import { useEffect, useState } from "react";
import type { Step } from "../api/types";

/**
 * "Rerun from selected node…": the graph is in pick mode. Clicking a node picks it; for the
 * keyboard, the same choice is offered in a select.
 */
export function PickBanner(props: {
  steps: readonly Step[];
  onPick: (stepId: string) => void;
  onCancel: () => void;
}) {
  const [choice, setChoice] = useState(props.steps[0]?.id ?? "");
  const { onCancel } = props;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onCancel();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onCancel]);
  return (
    <section className="pick-banner" aria-label="Choose the node to rerun from" data-testid="pick-banner">
      <strong>Click the node to rerun from in the graph</strong>
      <span className="muted">or choose it here:</span>
      <select value={choice} onChange={(e) => setChoice(e.target.value)} aria-label="Node to rerun from">
        {props.steps.map((s) => (
          <option key={s.id} value={s.id}>
            {s.label ?? s.id}
          </option>
        ))}
      </select>
      <button type="button" className="button" onClick={() => props.onPick(choice)} disabled={!choice}>
        Choose
      </button>
      <button type="button" className="button subtle" onClick={onCancel}>
        Cancel
      </button>
    </section>
  );
}

import { useEffect, useState } from "react";
import type { Step } from "../api/types";

/**
 * "Rerun from selected nodes…": the graph is in pick mode. Clicking a node adds it to the chosen
 * nodes (again: removes it); for the keyboard, the same choice is offered in a select. "Show rerun
 * plan" opens the plan of a rerun from all chosen nodes.
 */
export function PickBanner(props: {
  steps: readonly Step[];
  chosen: readonly string[];
  onToggle: (stepId: string) => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const [choice, setChoice] = useState(props.steps[0]?.id ?? "");
  const { onCancel, chosen } = props;
  const label = (id: string) => props.steps.find((s) => s.id === id)?.label ?? id;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onCancel();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onCancel]);
  return (
    <section className="pick-banner" aria-label="Choose the nodes to rerun from" data-testid="pick-banner">
      <strong>Click the nodes to rerun from in the graph</strong>
      <span className="muted">or choose them here:</span>
      <select value={choice} onChange={(e) => setChoice(e.target.value)} aria-label="Node to rerun from">
        {props.steps.map((s) => (
          <option key={s.id} value={s.id}>
            {s.label ?? s.id}
          </option>
        ))}
      </select>
      <button type="button" className="button" onClick={() => props.onToggle(choice)} disabled={!choice}>
        {chosen.includes(choice) ? "Remove" : "Add"}
      </button>
      <span data-testid="pick-chosen" aria-live="polite">
        {chosen.length === 0 ? "No node chosen yet." : `Chosen: ${chosen.map(label).join(", ")}`}
      </span>
      <button
        type="button"
        className="button primary"
        onClick={props.onConfirm}
        disabled={chosen.length === 0}
        data-testid="pick-confirm"
      >
        Show rerun plan
      </button>
      <button type="button" className="button subtle" onClick={onCancel}>
        Cancel
      </button>
    </section>
  );
}

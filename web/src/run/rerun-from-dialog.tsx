import type { RunDetail } from "../api/types";
import { ConfirmDialog } from "../components/confirm-dialog";
import { downstreamClosure, topologicalOrder } from "./graph";

/** Confirms a rerun from a picked node: which steps execute again and how many are reused. */
export function RerunFromDialog(props: {
  run: RunDetail;
  stepId: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const { run, stepId } = props;
  const execute = downstreamClosure(run.steps, [stepId]);
  const order = topologicalOrder(run.steps).filter((id) => execute.has(id));
  const reused = run.steps.length - execute.size;
  const label = run.steps.find((s) => s.id === stepId)?.label ?? stepId;
  return (
    <ConfirmDialog
      title={`Rerun from ${label}?`}
      confirmLabel={`Rerun from ${label}`}
      onConfirm={props.onConfirm}
      onClose={props.onClose}
      testId="rerun-from-dialog"
    >
      <p>
        A <strong>new run</strong> executes <code>{stepId}</code> and everything downstream of it (
        {execute.size} step
        {execute.size === 1 ? "" : "s"}), and reuses the recorded outputs of the other {reused}. This run
        stays as it is.
      </p>
      <p className="muted small">
        Executes: {order.slice(0, 30).join(", ")}
        {order.length > 30 ? `, and ${order.length - 30} more` : ""}
      </p>
    </ConfirmDialog>
  );
}

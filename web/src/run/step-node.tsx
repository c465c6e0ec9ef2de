import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { Icon } from "../components/icon";
import { STATUS_META, type StepDisplayStatus } from "../components/status";

export type StepNodeData = {
  stepId: string;
  label: string | null;
  status: StepDisplayStatus | null;
  attempts: number;
  /** A map step's recorded items by status (a bar and counts on the node); null for other steps. */
  items: { succeeded: number; failed: number } | null;
  recovered: boolean;
  selected: boolean;
  picking: boolean;
  /** While the graph is searched: the match shown now, another match, or a step not found. */
  found: "current" | "match" | "other" | null;
};

export type StepNodeType = Node<StepNodeData, "step">;

/**
 * One step in the graph: a real button (keyboard and screen readers reach it) whose text says the
 * status, so colour is never the only cue.
 */
export const StepNode = memo(function StepNode({ data }: NodeProps<StepNodeType>) {
  const status = data.status;
  const meta = status ? STATUS_META[status] : null;
  const title = data.label ?? data.stepId;
  return (
    <div
      className={`step-node ${status ? `status-${status}` : "status-none"}${data.selected ? " is-selected" : ""}${data.picking ? " is-picking" : ""}${data.found ? ` found-${data.found}` : ""}`}
      data-testid="graph-node"
      data-step-id={data.stepId}
      data-status={status ?? "none"}
      data-found={data.found ?? undefined}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <button type="button" className="step-node-button nodrag" aria-pressed={data.selected}>
        <span className="step-node-title">{title}</span>
        {data.label && data.label !== data.stepId && <span className="step-node-id mono">{data.stepId}</span>}
        {meta && (
          <span className="step-node-meta">
            <Icon name={meta.icon} />
            <span>{meta.label}</span>
            {data.attempts > 1 && <span className="muted">· {data.attempts} attempts</span>}
            {data.items && (
              <span className="muted" data-testid="node-items">
                · {data.items.succeeded}✓ {data.items.failed > 0 ? `${data.items.failed}✗` : ""}
              </span>
            )}
            {data.recovered && (
              <span className="step-node-tag" title="its worker died while it ran; another took it over">
                recovered
              </span>
            )}
          </span>
        )}
        {data.items && <ItemsBar items={data.items} />}
      </button>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

/** A map step's items by status, as a thin bar under its name. */
function ItemsBar({ items }: { items: { succeeded: number; failed: number } }) {
  const total = items.succeeded + items.failed || 1;
  return (
    <span className="step-node-items" aria-hidden="true">
      <span className="status-succeeded" style={{ width: `${(100 * items.succeeded) / total}%` }} />
      <span className="status-failed" style={{ width: `${(100 * items.failed) / total}%` }} />
    </span>
  );
}

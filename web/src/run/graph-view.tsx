import {
  Background,
  Controls,
  type Edge,
  MarkerType,
  type NodeHandle,
  type NodeMouseHandler,
  Position,
  ReactFlow,
  useReactFlow,
} from "@xyflow/react";
import { type CSSProperties, useEffect, useMemo, useRef } from "react";
import type { StepDisplayStatus } from "../components/status";
import type { GraphNode } from "./graph";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH, shapeKey } from "./layout";
import { StepNode, type StepNodeType } from "./step-node";

export interface GraphStep extends GraphNode {
  label: string | null;
  status: StepDisplayStatus | null;
  attempts: number;
  /** A map step's recorded items by status; null for other steps. */
  items?: { succeeded: number; failed: number } | null;
  /** Taken over after its worker died at least once. */
  recovered?: boolean;
}

const NODE_TYPES = { step: StepNode };
const SIZE = { width: NODE_WIDTH, height: NODE_HEIGHT };
/**
 * Every node has the same fixed size and handle places, given up front: React Flow then draws nodes
 * and edges without measuring the DOM first (fast for 500 nodes, and nodes never wait hidden for a
 * measurement when their data changes).
 */
const HANDLES: NodeHandle[] = [
  { type: "target", position: Position.Left, x: -2, y: NODE_HEIGHT / 2 - 2, width: 4, height: 4 },
  {
    type: "source",
    position: Position.Right,
    x: NODE_WIDTH - 2,
    y: NODE_HEIGHT / 2 - 2,
    width: 4,
    height: 4,
  },
];
/** Above this many steps only the nodes in view are rendered. */
const LARGE = 150;

const NONE: readonly string[] = [];

/**
 * The DAG of a run (or of a workflow, without statuses), laid out once by dagre. Statuses change the
 * nodes' data only; positions are recomputed only if the graph's shape changes.
 */
export function GraphView(props: {
  steps: readonly GraphStep[];
  selectedId?: string | null;
  onSelect?: (stepId: string) => void;
  picking?: boolean;
  /** Nodes chosen in pick mode, shown selected. */
  picked?: readonly string[];
  label: string;
}) {
  const { steps, selectedId = null, onSelect, picking = false, picked = NONE } = props;
  const key = shapeKey(steps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the layout depends on the shape only (key)
  const positions = useMemo(() => layoutGraph(steps), [key]);
  const nodes = useMemo<StepNodeType[]>(
    () =>
      steps.map((s) => ({
        id: s.id,
        type: "step",
        position: positions.get(s.id) ?? { x: 0, y: 0 },
        ...SIZE,
        measured: SIZE,
        handles: HANDLES,
        data: {
          stepId: s.id,
          label: s.label,
          status: s.status,
          attempts: s.attempts,
          items: s.items ?? null,
          recovered: s.recovered === true,
          selected: s.id === selectedId || picked.includes(s.id),
          picking,
        },
      })),
    [steps, positions, selectedId, picking, picked],
  );
  const edges = useMemo<Edge[]>(() => {
    const status = new Map(steps.map((s) => [s.id, s.status]));
    return steps.flatMap((s) =>
      s.needs
        .filter((need) => status.has(need))
        .map((need) => ({
          id: `${need}->${s.id}`,
          source: need,
          target: s.id,
          animated: status.get(s.id) === "running",
          markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, color: "#6b7480" },
          style: { stroke: "#6b7480", strokeWidth: 1.4 },
        })),
    );
  }, [steps]);
  const onNodeClick: NodeMouseHandler<StepNodeType> = (_event, node) => onSelect?.(node.id);
  const large = steps.length > LARGE;
  // A big graph opened on a chosen step (a link with ?step=) starts centred on it.
  const initialFocus = useRef(large ? selectedId : null);
  // A small graph gets a box its size; a large one the full height (it pans and zooms).
  let bottom = 0;
  for (const p of positions.values()) bottom = Math.max(bottom, p.y + NODE_HEIGHT);
  const height = Math.min(460, Math.max(200, bottom + 70));
  return (
    <section
      className={`graph${picking ? " graph-picking" : ""}`}
      aria-label={props.label}
      data-testid="graph"
      style={{ "--graph-height": `${height}px` } as CSSProperties}
    >
      <ReactFlow<StepNodeType>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodeClick={onNodeClick}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        onlyRenderVisibleElements={large}
        fitView
        fitViewOptions={
          initialFocus.current
            ? { nodes: [{ id: initialFocus.current }], maxZoom: 0.9, minZoom: 0.9 }
            : { padding: 0.12, maxZoom: 1.1 }
        }
        minZoom={0.04}
        maxZoom={2}
        colorMode="light"
        // React Flow is MIT-licensed; its attribution may be hidden (reactflow.dev/learn/troubleshooting/remove-attribution).
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} color="#d9dde3" />
        <Controls showInteractive={false} />
        {large && selectedId && selectedId !== initialFocus.current && (
          <FocusOn point={positions.get(selectedId)} />
        )}
      </ReactFlow>
    </section>
  );
}

/** In a big graph, a step chosen elsewhere (timeline, link) is brought into view. */
function FocusOn({ point }: { point: { x: number; y: number } | undefined }) {
  const flow = useReactFlow();
  const x = point?.x;
  const y = point?.y;
  useEffect(() => {
    if (x === undefined || y === undefined) return;
    void flow.setCenter(x + NODE_WIDTH / 2, y + NODE_HEIGHT / 2, {
      zoom: Math.max(flow.getZoom(), 0.9),
      duration: 250,
    });
  }, [flow, x, y]);
  return null;
}

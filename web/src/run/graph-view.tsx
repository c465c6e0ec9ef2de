import {
  Background,
  Controls,
  type Edge,
  MarkerType,
  MiniMap,
  type NodeHandle,
  type NodeMouseHandler,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useStore,
} from "@xyflow/react";
import { type CSSProperties, useMemo } from "react";
import type { StepDisplayStatus } from "../components/status";
import type { GraphNode } from "./graph";
import { GraphSearchBox, useGraphSearch } from "./graph-search";
import { fitsReadable, graphBounds, minimapSize } from "./graph-viewport";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH, shapeKey } from "./layout";
import { StepNode, type StepNodeType } from "./step-node";
import { timelineOrder } from "./timeline-model";
import { useGraphCamera } from "./use-graph-camera";

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

interface GraphViewProps {
  steps: readonly GraphStep[];
  selectedId?: string | null;
  onSelect?: (stepId: string) => void;
  picking?: boolean;
  /** Nodes chosen in pick mode, shown selected. */
  picked?: readonly string[];
  label: string;
}

/**
 * The DAG of a run (or of a workflow, without statuses), laid out once by dagre. Statuses change the
 * nodes' data only; positions are recomputed only if the graph's shape changes. A graph too big to
 * fit at a readable zoom opens at that zoom and gets a minimap and a search box (use-graph-camera.ts).
 */
export function GraphView(props: GraphViewProps) {
  return (
    <ReactFlowProvider>
      <GraphCanvas {...props} />
    </ReactFlowProvider>
  );
}

function GraphCanvas(props: GraphViewProps) {
  const { steps, selectedId = null, onSelect, picking = false, picked = NONE } = props;
  const key = shapeKey(steps);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the layout depends on the shape only (key)
  const positions = useMemo(() => layoutGraph(steps), [key]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: so does the graph's order (key)
  const order = useMemo(() => timelineOrder(steps), [key]);
  const bounds = useMemo(() => graphBounds(positions.values()), [positions]);
  const size = { width: useStore((s) => s.width), height: useStore((s) => s.height) };
  const big = !fitsReadable(bounds, size);
  const showStep = useGraphCamera({
    positions,
    bounds,
    firstId: order[0] ?? null,
    selectedId,
    size,
    fits: !big,
  });
  const search = useGraphSearch(steps, order, showStep);
  const searching = big && search.query.trim() !== "";
  const found = useMemo(() => (searching ? new Set(search.matches) : null), [searching, search.matches]);
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
          found:
            found === null ? null : s.id === search.current ? "current" : found.has(s.id) ? "match" : "other",
        },
      })),
    [steps, positions, selectedId, picking, picked, found, search.current],
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
        minZoom={0.04}
        maxZoom={2}
        colorMode="light"
        // React Flow is MIT-licensed; its attribution may be hidden (reactflow.dev/learn/troubleshooting/remove-attribution).
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} color="#d9dde3" />
        <Controls showInteractive={false} />
        {big && <GraphSearchBox search={search} />}
        {big && (
          <MiniMap<StepNodeType>
            pannable
            zoomable
            ariaLabel="Minimap of the graph"
            style={minimapSize(bounds, size)}
            nodeClassName={minimapClass}
            maskStrokeColor="#1b1f24"
            maskStrokeWidth={1.5}
          />
        )}
      </ReactFlow>
    </section>
  );
}

/** A minimap node is coloured by status (graph.css), and outlined when the search found it. */
function minimapClass(node: StepNodeType): string {
  const found = node.data.found === "match" || node.data.found === "current";
  return `status-${node.data.status ?? "none"}${found ? " is-found" : ""}`;
}

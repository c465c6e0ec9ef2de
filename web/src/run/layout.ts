import dagre from "@dagrejs/dagre";
import type { GraphNode } from "./graph";

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 62;

export interface Point {
  x: number;
  y: number;
}

/**
 * Left-to-right positions (top-left corners) for a DAG. Computed once per graph shape: statuses
 * change every second on a live run, positions never do. 500 steps lay out in well under a second.
 */
export function layoutGraph(nodes: readonly GraphNode[]): Map<string, Point> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 56, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const n of nodes) for (const need of n.needs) if (ids.has(need)) g.setEdge(need, n.id);
  dagre.layout(g);
  const out = new Map<string, Point>();
  for (const n of nodes) {
    const p = g.node(n.id) as { x: number; y: number };
    out.set(n.id, { x: p.x - NODE_WIDTH / 2, y: p.y - NODE_HEIGHT / 2 });
  }
  return out;
}

/** A key that changes only when the graph's shape does (not its statuses). */
export function shapeKey(nodes: readonly GraphNode[]): string {
  return nodes.map((n) => `${n.id}<${n.needs.join(",")}`).join("|");
}

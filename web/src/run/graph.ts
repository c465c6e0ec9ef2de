/**
 * The graph helpers of src/core/graph.ts, so the UI orders and selects steps by exactly the engine's
 * rules (topological, ties broken by the smaller id).
 */
import { type GraphNode, topologicalOrder as orderOfValidGraph } from "../../../src/core/graph";

export { downstreamClosure, type GraphNode, successorsOf } from "../../../src/core/graph";

/**
 * Ids in topological order, ties by the smaller id. A run need not have a row for every step (a step
 * that never ran may have none), so needs on steps the run does not list are ignored here, as the
 * API's latest-failed does; the core helper would leave such a step out of the order.
 */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  const known = new Set(nodes.map((n) => n.id));
  return orderOfValidGraph(nodes.map((n) => ({ id: n.id, needs: n.needs.filter((x) => known.has(x)) })));
}

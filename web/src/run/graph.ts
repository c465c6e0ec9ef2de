/** Graph helpers over a run's steps (`{ id, needs }`), the same rules as src/core/graph.ts. */
export interface GraphNode {
  readonly id: string;
  readonly needs: readonly string[];
}

/**
 * Ids in topological order; among steps that become ready together the smaller id comes first, so
 * the order does not depend on the order the API lists steps in.
 */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  const known = new Set(nodes.map((n) => n.id));
  const indegree = new Map(nodes.map((n) => [n.id, n.needs.filter((x) => known.has(x)).length]));
  const dependents = successorsOf(nodes);
  const ready = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    const id = ready.pop()!;
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return order;
}

export function successorsOf(nodes: readonly GraphNode[]): Map<string, string[]> {
  const map = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const node of nodes) for (const need of node.needs) map.get(need)?.push(node.id);
  return map;
}

/** The given ids plus everything downstream of them. */
export function downstreamClosure(nodes: readonly GraphNode[], from: Iterable<string>): Set<string> {
  const dependents = successorsOf(nodes);
  const result = new Set<string>();
  const queue = [...from];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (result.has(id)) continue;
    result.add(id);
    queue.push(...(dependents.get(id) ?? []));
  }
  return result;
}

/** Pure graph helpers over `{ id, needs }` nodes. Callers validate ids before relying on these. */
export interface GraphNode {
  readonly id: string;
  readonly needs: readonly string[];
}

/** The first cycle found, as a closed path of ids (`a -> b -> a`), or null. */
export function findCycle(nodes: readonly GraphNode[]): string[] | null {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    const mark = state.get(id);
    if (mark === "done") return null;
    if (mark === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const need of byId.get(id)?.needs ?? []) {
      if (!byId.has(need)) continue;
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return null;
  };
  for (const node of nodes) {
    const cycle = visit(node.id);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * Ids in topological order; among steps that become ready together the smaller id comes first, so
 * the order is deterministic and does not depend on declaration order (the web UI uses the same rule).
 */
export function topologicalOrder(nodes: readonly GraphNode[]): string[] {
  const indegree = new Map(nodes.map((n) => [n.id, n.needs.length]));
  const dependents = successorsOf(nodes);
  const ready = nodes.filter((n) => n.needs.length === 0).map((n) => n.id);
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

/** Map from each id to the ids that need it directly. */
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

/**
 * The steps a graph search finds: those whose id or name contains the query, ignoring case and
 * the spaces around it, in the order given (the graph's order, as the timeline lists them). An
 * empty query finds nothing.
 */
export function findSteps(
  steps: ReadonlyArray<{ id: string; label: string | null }>,
  order: readonly string[],
  query: string,
): string[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  const found = new Set(
    steps
      .filter((s) => s.id.toLowerCase().includes(q) || (s.label ?? "").toLowerCase().includes(q))
      .map((s) => s.id),
  );
  return order.filter((id) => found.has(id));
}

/** The match after (step 1) or before (step -1) the current one, wrapping around. */
export function cycle(current: number, count: number, step: 1 | -1): number {
  if (count === 0) return 0;
  return (current + step + count) % count;
}

import { Panel } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { cycle, findSteps } from "./graph-search-model";

export interface GraphSearch {
  query: string;
  setQuery(query: string): void;
  /** Ids found, in graph order. */
  matches: readonly string[];
  /** The match shown now (centred), or null. */
  current: string | null;
  /** Centre the next (1) or previous (-1) match. */
  step(direction: 1 | -1): void;
}

/** The search's state: a new query centres its first match; `step` cycles through the others. */
export function useGraphSearch(
  steps: ReadonlyArray<{ id: string; label: string | null }>,
  order: readonly string[],
  showStep: (stepId: string) => void,
): GraphSearch {
  const [query, setQuery] = useState("");
  const [index, setIndex] = useState(0);
  const matches = useMemo(() => findSteps(steps, order, query), [steps, order, query]);
  const key = matches.join("\n");
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new set of matches (key), not a new array, starts over
  useEffect(() => {
    setIndex(0);
    if (matches[0] !== undefined) showStep(matches[0]);
  }, [key]);
  const current = matches[index] ?? null;
  return {
    query,
    setQuery,
    matches,
    current,
    step(direction) {
      const next = cycle(index, matches.length, direction);
      setIndex(next);
      if (matches[next] !== undefined) showStep(matches[next]);
    },
  };
}

/**
 * The search box over a big graph: matching steps are highlighted and the rest dimmed (by the
 * graph's nodes); Enter shows the next match, Shift+Enter the previous one, Escape clears it.
 */
export function GraphSearchBox({ search }: { search: GraphSearch }) {
  const { query, matches, current } = search;
  const position = current === null ? 0 : matches.indexOf(current) + 1;
  return (
    <Panel position="top-left" className="graph-search nopan nodrag nowheel">
      <input
        type="search"
        aria-label="Find a step by id or name"
        placeholder="Find a step"
        data-testid="graph-search"
        value={query}
        onChange={(e) => search.setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            search.step(e.shiftKey ? -1 : 1);
          } else if (e.key === "Escape" && query !== "") {
            e.stopPropagation(); // clears the search only (pick mode also ends on Escape)
            search.setQuery("");
          }
        }}
      />
      {query.trim() !== "" && (
        <output className="small muted" data-testid="graph-search-count" aria-live="polite">
          {matches.length === 0 ? "no step matches" : `${position} of ${matches.length}`}
        </output>
      )}
    </Panel>
  );
}

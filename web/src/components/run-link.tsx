import type { Run } from "../api/types";
import { runHref } from "../router";

/** A run id as a link, shortened in the middle on small screens by CSS (the full id stays in the text). */
export function RunLink({ runId, stepId }: { runId: string; stepId?: string }) {
  return (
    <a className="run-link mono" href={runHref(runId, stepId)}>
      {runId}
    </a>
  );
}

/** "restart of run_x" / "rerun of run_x": where a run came from, as words and a link. */
export function LineageMarker({ run }: { run: Pick<Run, "origin" | "parentRunId"> }) {
  if (run.origin === "start" || !run.parentRunId) return null;
  return (
    <span className={`lineage lineage-${run.origin}`} data-testid="lineage-marker">
      <span aria-hidden="true">{run.origin === "restart" ? "↻ " : "⤷ "}</span>
      {run.origin} of <RunLink runId={run.parentRunId} />
    </span>
  );
}

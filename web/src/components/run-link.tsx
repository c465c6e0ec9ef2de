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

/**
 * "restart of run_x" / "rerun of run_x" / "child of run_x": where a run came from, as words and a
 * link (a child run: the run whose step started it).
 */
export function LineageMarker({
  run,
}: {
  run: Pick<Run, "origin" | "parentRunId" | "callerRunId" | "callerStepId">;
}) {
  if (run.origin === "start" && run.callerRunId)
    return (
      <span
        className="lineage lineage-child"
        data-testid="lineage-marker"
        title={`started by step ${run.callerStepId ?? "?"} of ${run.callerRunId}`}
      >
        <span aria-hidden="true">⤷ </span>
        child of <RunLink runId={run.callerRunId} />
      </span>
    );
  if (run.origin === "start" || !run.parentRunId) return null;
  return (
    <span className={`lineage lineage-${run.origin}`} data-testid="lineage-marker">
      <span aria-hidden="true">{run.origin === "restart" ? "↻ " : "⤷ "}</span>
      {run.origin} of <RunLink runId={run.parentRunId} />
    </span>
  );
}

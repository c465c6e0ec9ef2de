import { useEffect, useState } from "react";
import { useApi } from "../api/context";
import type { RunDetail } from "../api/types";
import type { FailedNode } from "./run-from-failed-model";

/** More failed nodes than this are offered without asking the API about each one first. */
const MAX_ASKED = 20;

/**
 * Why a rerun from each failed node alone would be refused (the API's rerun plan decides: with two
 * failed parallel branches, a rerun from one of them has no output to reuse for the other). Asked
 * once the run allows a rerun; a node missing from the map may be offered.
 */
export function useRerunRefusals(run: RunDetail, failed: readonly FailedNode[]): ReadonlyMap<string, string> {
  const client = useApi();
  const [refusals, setRefusals] = useState<ReadonlyMap<string, string>>(new Map());
  const rerunAllowed = run.actions.rerun.allowed;
  const key = failed.map((f) => f.stepId).join(",");
  useEffect(() => {
    setRefusals(new Map());
    if (!rerunAllowed || key === "") return;
    const ids = key.split(",").slice(0, MAX_ASKED);
    const abort = new AbortController();
    void Promise.all(
      ids.map((id) =>
        client
          .rerunPlan(run.id, { from: [id] }, {}, abort.signal)
          .then((plan) => [id, plan.refusal] as const)
          .catch(() => [id, null] as const),
      ),
    ).then((answers) => {
      if (abort.signal.aborted) return;
      const refused = answers.filter((a): a is readonly [string, string] => a[1] !== null);
      setRefusals(new Map(refused));
    });
    return () => abort.abort();
  }, [client, run.id, rerunAllowed, key]);
  return refusals;
}

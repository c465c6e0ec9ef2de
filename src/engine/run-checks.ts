import { CairnError } from "../core/errors.js";
import type { RunRecord } from "../core/types.js";

/** Secrets are held in memory only: a run that declares some cannot start or continue without them. */
export function checkSecrets(
  names: readonly string[],
  given: Record<string, string> | undefined,
  who: string,
): void {
  const missing = names.filter((n) => typeof given?.[n] !== "string" || given[n] === "");
  if (missing.length > 0)
    throw new CairnError(
      "INVALID_INPUT",
      `${who} needs the secret${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; pass ${missing.length > 1 ? "them" : "it"} at start (secrets are held in memory, never stored).`,
      { details: { missing } },
    );
}

/** An idempotent start may only return a run of the same tenant and workflow. */
export function sameRun(run: RunRecord, tenant: string, workflowId: string): RunRecord {
  // Another tenant's run must not be revealed, not even its workflow: the id is simply taken.
  if (run.tenant !== tenant)
    throw new CairnError("CONFLICT", `Run id "${run.id}" is already taken; choose another.`);
  if (run.workflowId !== workflowId)
    throw new CairnError("CONFLICT", `Run id "${run.id}" is already a run of workflow "${run.workflowId}".`, {
      details: { status: run.status },
    });
  return run;
}

import { FINISHED_RUN_STATUSES, RESUMABLE_RUN_STATUSES, type RunStatus } from "./types.js";

/**
 * Which run status allows which action — the one table the engine enforces, the API serves with
 * every run (`actions`) and the UI shows (a disabled button says why).
 */
export const RUN_ACTIONS = ["resume", "restart", "rerun", "cancel", "pause"] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

const ALLOWED_FROM: Readonly<Record<RunAction, readonly RunStatus[]>> = {
  // A `running` run whose owner died is shown and resumed as interrupted (see engine/liveness.ts).
  resume: RESUMABLE_RUN_STATUSES,
  restart: FINISHED_RUN_STATUSES,
  rerun: FINISHED_RUN_STATUSES,
  cancel: ["running", "paused", "interrupted"],
  pause: ["running"],
};

/** Whether `action` may be applied to a run in `status`. */
export function allows(action: RunAction, status: RunStatus): boolean {
  return ALLOWED_FROM[action].includes(status);
}

/** Why `action` is refused for run `runId` in `status` (one sentence naming what to do instead), or null. */
export function refusal(action: RunAction, runId: string, status: RunStatus): string | null {
  if (allows(action, status)) return null;
  const run = `Run "${runId}"`;
  switch (action) {
    case "resume":
      return status === "succeeded"
        ? `${run} already succeeded, so there is nothing to resume. Use restart for a fresh run, or rerun to execute chosen steps again.`
        : `${run} is still running. Wait for it to finish, or cancel or pause it first.`;
    case "restart":
    case "rerun":
      return `${run} is ${status}; ${action} needs a finished run (succeeded, failed, cancelled or interrupted). ${status === "paused" ? "Resume it, or cancel it first." : "Wait for it, or cancel it first."}`;
    case "cancel":
      return `Cannot cancel run "${runId}": it is ${status}.`;
    case "pause":
      return `Cannot pause run "${runId}": it is ${status}.`;
  }
}

/** Every action with whether it is allowed and, when not, why: what the API sends with a run. */
export function runActions(
  runId: string,
  status: RunStatus,
): Record<RunAction, { readonly allowed: boolean; readonly reason: string | null }> {
  const entry = (action: RunAction) => {
    const reason = refusal(action, runId, status);
    return { allowed: reason === null, reason };
  };
  return {
    resume: entry("resume"),
    restart: entry("restart"),
    rerun: entry("rerun"),
    cancel: entry("cancel"),
    pause: entry("pause"),
  };
}

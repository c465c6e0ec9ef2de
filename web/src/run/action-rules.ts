import { FINISHED, RESUMABLE, type RunStatus } from "../api/types";

/** Why each action is not allowed in a status (null: allowed), by the same rules as the API. */
export function resumeReason(status: RunStatus): string | null {
  if (RESUMABLE.includes(status)) return null;
  if (status === "succeeded")
    return "This run succeeded: there is nothing to resume. Restart it, or rerun chosen steps.";
  return "The run is running: pause or cancel it before resuming.";
}

export function restartReason(status: RunStatus): string | null {
  if (FINISHED.includes(status)) return null;
  return status === "paused"
    ? "The run is paused: resume or cancel it first."
    : "The run is running: wait for it, or cancel it first.";
}

export function cancelReason(status: RunStatus): string | null {
  return status === "running" || status === "paused" || status === "interrupted"
    ? null
    : `The run is ${status}: only a live run can be cancelled.`;
}

export function pauseReason(status: RunStatus): string | null {
  return status === "running" ? null : `The run is ${status}: only a running run can be paused.`;
}

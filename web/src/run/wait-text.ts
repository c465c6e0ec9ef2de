import type { StepWait } from "../api/types";
import { formatTime } from "../format";

/**
 * What a parked step waits for, with its times in the page's format and time zone (the API's own
 * description has them in ISO 8601 UTC): "sleeping until 2026-12-04 18:00:00",
 * "waiting for signal "approval" (timeout 2026-12-05 09:00:00)".
 */
export function waitText(wait: StepWait): string {
  if (wait.kind === "sleep" && wait.until !== null) return `sleeping until ${formatTime(wait.until)}`;
  if (wait.kind === "signal" && wait.signal !== null)
    return `waiting for signal "${wait.signal}"${wait.until === null ? "" : ` (timeout ${formatTime(wait.until)})`}`;
  return wait.description;
}

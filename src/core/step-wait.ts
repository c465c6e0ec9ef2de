import { parseDuration } from "./duration.js";
import { CairnError } from "./errors.js";
import type { StepRecord, StepWait } from "./types.js";

/** Memo keys starting with this are Cairn's own (a sleep's wake time): user memo keys may not use it. */
export const RESERVED_MEMO_PREFIX = "cairn:";

/** How a parked step reads in `cairn show` and the API: "sleeping until 2026-12-04T17:00:00.000Z". */
export function describeWait(wait: StepWait): string {
  if (wait.kind === "sleep") return `sleeping until ${new Date(wait.until).toISOString()}`;
  if (wait.kind === "child") return `waiting for child run "${wait.runId}" (workflow "${wait.workflowId}")`;
  const until = wait.until === null ? "" : ` (timeout ${new Date(wait.until).toISOString()})`;
  return `waiting for signal "${wait.name}"${until}`;
}

/**
 * A sleep's length in ms: a number of ms or a duration string ("500ms", "30s", "10m", "24h"). Throws
 * an INVALID_INPUT error with one sentence otherwise.
 */
export function sleepMs(duration: unknown): number {
  const parsed = parseDuration(duration);
  if (typeof parsed !== "number")
    throw new CairnError("INVALID_INPUT", `A sleep's duration ${parsed.problem}.`);
  return parsed;
}

/** A wake-up time from a Date, an ISO 8601 string or ms since the epoch. */
export function wakeTime(until: unknown): number {
  const ms =
    until instanceof Date
      ? until.getTime()
      : typeof until === "number"
        ? until
        : typeof until === "string" && /^\d{4}-\d\d-\d\d/.test(until)
          ? Date.parse(until)
          : Number.NaN;
  if (!Number.isFinite(ms))
    throw new CairnError(
      "INVALID_INPUT",
      `sleepUntil needs a Date, an ISO 8601 time or ms since the epoch, got ${JSON.stringify(until)}.`,
    );
  return ms;
}

/** What a step is parked on: its wait while it is `ready` (a completed or reset step waits for nothing). */
export function parkedWait(step: Pick<StepRecord, "status" | "wait">): StepWait | null {
  return step.status === "ready" ? step.wait : null;
}

/**
 * Why a running run is idle: every step that is not finished is parked or pending behind one, e.g.
 * `step "cool-off" sleeping until T`. null when some step is running or ready to run.
 */
export function runWaiting(
  steps: ReadonlyArray<Pick<StepRecord, "stepId" | "status" | "wait">>,
): string | null {
  if (steps.some((s) => s.status === "running" || (s.status === "ready" && !s.wait))) return null;
  const parked = steps.filter((s) => parkedWait(s) !== null);
  if (parked.length === 0) return null;
  return parked.map((s) => `step "${s.stepId}" ${describeWait(s.wait!)}`).join("; ");
}

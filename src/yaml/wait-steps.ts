import type { StepHandler } from "../core/definition.js";
import { parseDuration } from "../core/duration.js";
import { wakeTime } from "../core/step-wait.js";

/**
 * YAML steps that wait instead of running a command: `sleep: 10m` and `until: 2026-12-24T18:00:00Z`.
 * They park the step durably (engine/sleep.ts); their output is null.
 */

/** The handler of a `sleep:` step, or a problem sentence. */
export function sleepStep(duration: unknown): StepHandler | string {
  const parsed = parseDuration(duration);
  if (typeof parsed !== "number") return `sleep ${parsed.problem}`;
  return async (ctx) => {
    await ctx.sleep(parsed);
    return null;
  };
}

/** The handler of an `until:` step, or a problem sentence. YAML may hand over a Date or a string. */
export function untilStep(until: unknown): StepHandler | string {
  let at: number;
  try {
    at = wakeTime(until);
  } catch {
    return `until must be an ISO 8601 time like 2026-12-24T18:00:00Z, got ${JSON.stringify(until)}`;
  }
  return async (ctx) => {
    await ctx.sleepUntil(at);
    return null;
  };
}

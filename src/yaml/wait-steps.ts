import type { StepHandler } from "../core/definition.js";
import { isRecord } from "../core/definition-checks.js";
import { parseDuration } from "../core/duration.js";
import { signalDataProblem } from "../core/signal-data.js";
import { wakeTime } from "../core/step-wait.js";
import type { Json } from "../core/types.js";

/**
 * YAML steps that wait instead of running a command: `sleep: 10m`, `until: 2026-12-24T18:00:00Z`
 * (output null) and `wait: { signal: approve }` (output: the signal's data). They park the step
 * durably (engine/sleep.ts, engine/signal-wait.ts).
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

const WAIT_KEYS = ["signal", "timeout", "schema", "default"];

/**
 * The handler of a `wait: { signal, timeout?, schema?, default? }` step, or the problems found. Its
 * output is the signal's data (or `default` after the timeout).
 */
export function signalWaitStep(spec: unknown): StepHandler | string[] {
  if (!isRecord(spec)) return ["wait must be a mapping like { signal: approve, timeout: 24h }"];
  const problems: string[] = [];
  for (const key of Object.keys(spec))
    if (!WAIT_KEYS.includes(key))
      problems.push(`wait: unknown key "${key}" (known: ${WAIT_KEYS.join(", ")})`);
  if (typeof spec.signal !== "string" || !/^[A-Za-z0-9_.:-]{1,128}$/.test(spec.signal))
    problems.push("wait.signal must be a signal name (letters, digits or _.:-)");
  if (spec.timeout !== undefined) {
    const parsed = parseDuration(spec.timeout);
    if (typeof parsed !== "number") problems.push(`wait.timeout ${parsed.problem}`);
  }
  if (spec.schema !== undefined) {
    try {
      signalDataProblem(spec.schema as Json, null);
    } catch (error) {
      problems.push(`wait.schema ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (spec.default !== undefined && spec.timeout === undefined)
    problems.push("wait.default needs a wait.timeout (it is what the step returns when the timeout passes)");
  if (problems.length > 0) return problems;
  const options = {
    ...(spec.timeout !== undefined ? { timeout: spec.timeout as string | number } : {}),
    ...(spec.schema !== undefined ? { schema: spec.schema as Json } : {}),
    ...(spec.default !== undefined ? { default: spec.default as Json } : {}),
  };
  return (ctx) => ctx.waitForSignal(spec.signal as string, options);
}

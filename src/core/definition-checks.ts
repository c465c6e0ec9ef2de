import { parseDuration } from "./duration.js";
import type { RetryPolicy } from "./retry.js";

/** The checks `defineWorkflow` applies to each value, shared by both front doors. */

export const LIMITS = {
  idLength: 128,
  steps: 100_000,
  attempts: 100,
  backoffFactor: 10,
  backoffMs: 24 * 3_600_000,
  timeoutMs: 7 * 24 * 3_600_000,
  maxRecoveries: 100,
} as const;

const ID_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Problems are collected with a location ("step "fetch": retry.attempts …") and thrown together. */
export class Problems {
  readonly list: string[] = [];
  add(where: string, message: string): void {
    this.list.push(where ? `${where}: ${message}` : message);
  }
}

/** The id when it is valid; otherwise null, with the problem added. */
export function checkId(value: unknown, what: string, problems: Problems, where = ""): string | null {
  const add = (m: string) => problems.add(where, `${what} ${m}`);
  if (typeof value !== "string") {
    add(`must be a string, got ${value === undefined ? "nothing" : value === null ? "null" : typeof value}`);
    return null;
  }
  if (value.length === 0) add("must not be empty");
  else if (value.length > LIMITS.idLength)
    add(`"${value.slice(0, 20)}…" is ${value.length} characters long; the limit is ${LIMITS.idLength}`);
  else if (!ID_PATTERN.test(value))
    add(`"${value}" may only contain letters, digits, "_", "." and "-" ([A-Za-z0-9_.-])`);
  else return value;
  return null;
}

/** A problem sentence for a number outside [min, max] (or not a number), or null. */
export function numberProblem(value: unknown, min: number, max: number, integer: boolean): string | null {
  if (typeof value !== "number" || Number.isNaN(value))
    return `must be a number, got ${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
  if (integer && !Number.isInteger(value)) return `must be a whole number, got ${value}`;
  if (value < min || value > max) return `must be between ${min} and ${max}, got ${value}`;
  return null;
}

/** A duration in milliseconds within [minMs, maxMs], or a problem sentence. */
export function durationIn(value: unknown, minMs: number, maxMs: number): number | string {
  const parsed = parseDuration(value);
  if (typeof parsed !== "number") return parsed.problem;
  if (parsed < minMs || parsed > maxMs) {
    const got = typeof value === "string" ? `"${value}"` : `${value}ms`;
    return `must be between ${readableMs(minMs)} and ${readableMs(maxMs)}, got ${got}`;
  }
  return parsed;
}

/** A limit as people write it: 604800000 → "7 days", 86400000 → "24h". */
export function readableMs(ms: number): string {
  const day = 24 * 3_600_000;
  if (ms >= 2 * day && ms % day === 0) return `${ms / day} days`;
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** True for a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 1,
  backoff: { initialMs: 1000, factor: 2, maxMs: 60_000 },
};

/** A retry policy from `{ attempts, backoff: { initial, factor, max } }`, adding every problem found. */
export function normaliseRetry(raw: unknown, where: string, problems: Problems): RetryPolicy {
  if (raw === undefined || raw === null) return DEFAULT_RETRY;
  if (!isRecord(raw)) {
    problems.add(where, `retry must be an object like { attempts: 3 }, got ${JSON.stringify(raw)}`);
    return DEFAULT_RETRY;
  }
  const { attempts = DEFAULT_RETRY.attempts, backoff, ...rest } = raw;
  for (const key of Object.keys(rest))
    problems.add(where, `retry has an unknown key "${key}" (known: attempts, backoff)`);
  const attemptsProblem = numberProblem(attempts, 1, LIMITS.attempts, true);
  if (attemptsProblem) problems.add(where, `retry.attempts ${attemptsProblem}`);
  const result = { ...DEFAULT_RETRY.backoff };
  if (backoff !== undefined && backoff !== null) {
    if (!isRecord(backoff)) {
      problems.add(where, "retry.backoff must be an object like { initial: '1s', factor: 2, max: '1m' }");
    } else {
      const { initial, factor, max, ...extra } = backoff;
      for (const key of Object.keys(extra))
        problems.add(where, `retry.backoff has an unknown key "${key}" (known: initial, factor, max)`);
      let valid = true;
      if (initial !== undefined) {
        const ms = durationIn(initial, 0, LIMITS.backoffMs);
        if (typeof ms === "string") problems.add(where, `retry.backoff.initial ${ms}`);
        else result.initialMs = ms;
        valid &&= typeof ms === "number";
      }
      if (factor !== undefined) {
        const problem = numberProblem(factor, 1, LIMITS.backoffFactor, false);
        if (problem) problems.add(where, `retry.backoff.factor ${problem}`);
        else result.factor = factor as number;
      }
      if (max !== undefined) {
        const ms = durationIn(max, 0, LIMITS.backoffMs);
        if (typeof ms === "string") problems.add(where, `retry.backoff.max ${ms}`);
        else result.maxMs = ms;
        valid &&= typeof ms === "number";
        if (valid && result.maxMs < result.initialMs)
          problems.add(
            where,
            `retry.backoff.max (${readableMs(result.maxMs)}) is below retry.backoff.initial (${readableMs(result.initialMs)})`,
          );
      } else {
        // Only `initial` given: the default cap must not silently shorten it.
        result.maxMs = Math.max(result.maxMs, result.initialMs);
      }
    }
  }
  return { attempts: attemptsProblem ? DEFAULT_RETRY.attempts : (attempts as number), backoff: result };
}

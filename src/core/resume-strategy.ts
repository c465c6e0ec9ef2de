import { LIMITS, numberProblem, type Problems } from "./definition-checks.js";
import {
  ON_CHANGE,
  type OnChange,
  type ResumeOptions,
  STRATEGY_OPTIONS,
  type StrategyOption,
  type StrategySource,
} from "./resume-plan.js";
import type { Json } from "./types.js";

/**
 * A workflow's own resume strategy (YAML `resume:`, the TS option `resume`): what a resume of its runs
 * does when the request does not say. A request's own options override it, option by option.
 */
export interface ResumeDefaults {
  readonly retryFailed?: boolean;
  readonly resetRunning?: boolean;
  readonly maxAttempts?: number;
  readonly onChange?: OnChange;
}

const BUILT_IN: Readonly<Record<StrategyOption, Json>> = {
  retryFailed: true,
  resetRunning: true,
  maxAttempts: null,
  onChange: "error",
};

/**
 * The options a resume applies — the request's, else the workflow's, else Cairn's defaults — and for
 * each, its value and where it came from (the plan shows both).
 */
export function resolveStrategy(
  defaults: ResumeDefaults | null,
  request: ResumeOptions,
): { options: ResumeOptions; strategy: Record<StrategyOption, StrategySource> } {
  const strategy = {} as Record<StrategyOption, StrategySource>;
  const chosen: Record<string, unknown> = {};
  for (const key of STRATEGY_OPTIONS) {
    const fromRequest = request[key];
    const fromWorkflow = defaults?.[key];
    if (fromRequest !== undefined) strategy[key] = { value: fromRequest, from: "request" };
    else if (fromWorkflow !== undefined) strategy[key] = { value: fromWorkflow, from: "workflow" };
    else strategy[key] = { value: BUILT_IN[key], from: "default" };
    if (strategy[key].from !== "default") chosen[key] = strategy[key].value;
  }
  return { options: { ...request, ...chosen }, strategy };
}

/** Validate a workflow's `resume` block; every problem goes to `problems`. */
export function checkResumeDefaults(raw: unknown, problems: Problems): ResumeDefaults | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.add("", "resume must be a mapping of retryFailed, resetRunning, maxAttempts and onChange");
    return null;
  }
  const given = raw as Record<string, unknown>;
  const defaults: { -readonly [K in keyof ResumeDefaults]: ResumeDefaults[K] } = {};
  for (const key of Object.keys(given))
    if (!(STRATEGY_OPTIONS as readonly string[]).includes(key))
      problems.add("", `resume has no option "${key}" (it takes ${STRATEGY_OPTIONS.join(", ")})`);
  for (const key of ["retryFailed", "resetRunning"] as const) {
    if (given[key] === undefined) continue;
    if (typeof given[key] === "boolean") defaults[key] = given[key];
    else problems.add("", `resume.${key} must be true or false, got ${JSON.stringify(given[key])}`);
  }
  if (given.maxAttempts !== undefined) {
    const problem = numberProblem(given.maxAttempts, 1, LIMITS.attempts, true);
    if (problem) problems.add("", `resume.maxAttempts ${problem}`);
    else defaults.maxAttempts = given.maxAttempts as number;
  }
  if (given.onChange !== undefined) {
    if (ON_CHANGE.includes(given.onChange as OnChange)) defaults.onChange = given.onChange as OnChange;
    else
      problems.add(
        "",
        `resume.onChange must be one of ${ON_CHANGE.join(", ")}, got ${JSON.stringify(given.onChange)}`,
      );
  }
  return defaults;
}

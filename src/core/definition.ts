import { parseDuration } from "./duration.js";
import { CairnError } from "./errors.js";
import { findCycle } from "./graph.js";
import type { Json } from "./types.js";

/** The slice of the Standard Schema interface (zod 4, valibot, arktype…) Cairn uses for run input. */
export interface InputSchema {
  readonly "~standard": {
    validate(value: unknown):
      | { value: unknown; issues?: undefined }
      | { issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> }
      | Promise<unknown>;
  };
}

export interface Logger {
  (...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface RunVariables {
  get(name: string): Json | undefined;
  set(name: string, value: Json): void;
  all(): Record<string, Json>;
}

/** What a step handler receives. `needs` holds the outputs of the steps it needs, by id. */
export interface StepContext<I = unknown, N = Record<string, unknown>> {
  readonly input: I;
  readonly needs: N;
  readonly run: { readonly id: string; readonly attempt: number; readonly workdir: string };
  readonly step: { readonly id: string; readonly attempt: number };
  /** Aborted on cancel, on timeout, and when the step's lease is lost. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Record progress; throttled to one write per `checkpointInterval` unless `force`. */
  checkpoint(state: Json, options?: { force?: boolean }): Promise<void>;
  /** The last checkpoint written by an earlier attempt of this step in this run, if any. */
  readonly lastCheckpoint: Json | undefined;
  /** A durable memoized sub-step: on re-execution a recorded result is returned without calling `fn`. */
  memo<T>(key: string, fn: () => T | Promise<T>): Promise<T>;
  /** Stable for this step of this run across retries, resumes and crash recoveries. */
  readonly idempotencyKey: string;
  /** Variables set by upstream steps; `set` records one with this step's completion. */
  readonly vars: RunVariables;
  /** Runtime secrets, held in memory only. */
  readonly secrets: Readonly<Record<string, string>>;
  /** The lease epoch of this execution, for sinks that enforce fencing themselves. */
  readonly epoch: number;
}

export type StepHandler = (ctx: StepContext<never, never>) => unknown;

export interface RetryPolicy {
  /** Total executions allowed, including the first. */
  readonly attempts: number;
  readonly backoff: { readonly initialMs: number; readonly factor: number; readonly maxMs: number };
}

export const STEP_EFFECTS = ["idempotent", "non-idempotent"] as const;
export type StepEffects = (typeof STEP_EFFECTS)[number];
export const RECOVERY_POLICIES = ["auto", "manual"] as const;
export type RecoveryPolicy = (typeof RECOVERY_POLICIES)[number];

/** A validated step, the same whichever front door (TypeScript or YAML) defined it. */
export interface StepDefinition {
  readonly id: string;
  readonly needs: readonly string[];
  readonly handler: StepHandler;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | null;
  readonly effects: StepEffects;
  readonly label: string | null;
  /** Files (relative to the run directory) the step must leave behind; digested for resume. */
  readonly outputs: readonly string[];
  /** Text identifying the step's behaviour (handler source or YAML spec), for fingerprints. */
  readonly source: string;
}

export interface WorkflowDefinition {
  readonly id: string;
  readonly steps: readonly StepDefinition[];
  readonly inputSchema: InputSchema | null;
  readonly failFast: boolean;
  readonly recovery: RecoveryPolicy;
  readonly maxRecoveries: number;
  readonly secrets: readonly string[];
  readonly checkpointIntervalMs: number;
  /** The file it was loaded from, when it came from one. */
  readonly sourceFile: string | null;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 1, backoff: { initialMs: 1000, factor: 2, maxMs: 60_000 } };

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

/** Raw, unvalidated options shared by both front doors. */
export interface RawRetry {
  attempts?: unknown;
  backoff?: { initial?: unknown; factor?: unknown; max?: unknown } | unknown;
}

export interface RawStep {
  id: unknown;
  needs: readonly unknown[];
  handler: StepHandler;
  retry?: RawRetry | unknown;
  timeout?: unknown;
  effects?: unknown;
  label?: unknown;
  outputs?: readonly unknown[];
  source: string;
}

export interface RawWorkflow {
  id: unknown;
  steps: readonly RawStep[];
  inputSchema?: InputSchema | null;
  failFast?: unknown;
  recovery?: unknown;
  maxRecoveries?: unknown;
  secrets?: readonly unknown[];
  checkpointInterval?: unknown;
  sourceFile?: string | null;
}

/** Problems are collected with a location ("step fetch: retry.attempts …") and thrown together. */
class Problems {
  readonly list: string[] = [];
  add(where: string, message: string): void {
    this.list.push(where ? `${where}: ${message}` : message);
  }
}

export function checkId(value: unknown, what: string, problems: Problems | string[]): string | null {
  const add = (m: string) =>
    Array.isArray(problems) ? problems.push(`${what} ${m}`) : problems.add("", `${what} ${m}`);
  if (typeof value !== "string") {
    add(`must be a string, got ${value === undefined ? "nothing" : typeof value}`);
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

function numberIn(value: unknown, min: number, max: number, integer: boolean): string | null {
  if (typeof value !== "number" || Number.isNaN(value)) return `must be a number, got ${String(value)}`;
  if (integer && !Number.isInteger(value)) return `must be a whole number, got ${value}`;
  if (value < min || value > max) return `must be between ${min} and ${max}, got ${value}`;
  return null;
}

function durationIn(value: unknown, minMs: number, maxMs: number): number | string {
  const parsed = parseDuration(value);
  if (typeof parsed !== "number") return parsed.problem;
  if (parsed < minMs || parsed > maxMs) return `must be between ${minMs}ms and ${maxMs}ms, got ${parsed}ms`;
  return parsed;
}

function normaliseRetry(raw: unknown, where: string, problems: Problems): RetryPolicy {
  if (raw === undefined || raw === null) return DEFAULT_RETRY;
  if (typeof raw !== "object") {
    problems.add(where, `retry must be an object like { attempts: 3 }, got ${typeof raw}`);
    return DEFAULT_RETRY;
  }
  const { attempts = DEFAULT_RETRY.attempts, backoff, ...rest } = raw as RawRetry & Record<string, unknown>;
  for (const key of Object.keys(rest)) problems.add(where, `retry has an unknown key "${key}"`);
  const attemptsProblem = numberIn(attempts, 1, LIMITS.attempts, true);
  if (attemptsProblem) problems.add(where, `retry.attempts ${attemptsProblem}`);
  const result = { ...DEFAULT_RETRY.backoff };
  if (backoff !== undefined) {
    if (typeof backoff !== "object" || backoff === null) {
      problems.add(where, "retry.backoff must be an object like { initial: '1s', factor: 2, max: '1m' }");
    } else {
      const { initial, factor, max, ...extra } = backoff as Record<string, unknown>;
      for (const key of Object.keys(extra)) problems.add(where, `retry.backoff has an unknown key "${key}"`);
      if (initial !== undefined) {
        const ms = durationIn(initial, 0, LIMITS.backoffMs);
        if (typeof ms === "string") problems.add(where, `retry.backoff.initial ${ms}`);
        else result.initialMs = ms;
      }
      if (factor !== undefined) {
        const problem = numberIn(factor, 1, LIMITS.backoffFactor, false);
        if (problem) problems.add(where, `retry.backoff.factor ${problem}`);
        else result.factor = factor as number;
      }
      if (max !== undefined) {
        const ms = durationIn(max, 0, LIMITS.backoffMs);
        if (typeof ms === "string") problems.add(where, `retry.backoff.max ${ms}`);
        else result.maxMs = ms;
      }
      if (result.maxMs < result.initialMs)
        problems.add(where, `retry.backoff.max (${result.maxMs}ms) is below backoff.initial (${result.initialMs}ms)`);
    }
  }
  return { attempts: attemptsProblem ? 1 : (attempts as number), backoff: result };
}

/**
 * Validate a workflow from either front door and return its normalised definition.
 * Every problem is reported at once in one INVALID_DEFINITION error.
 */
export function defineWorkflow(raw: RawWorkflow): WorkflowDefinition {
  const problems = new Problems();
  const id = checkId(raw.id, "workflow id", problems) ?? "invalid";
  if (raw.steps.length === 0) problems.add("", `workflow "${id}" has no steps`);
  if (raw.steps.length > LIMITS.steps) problems.add("", `workflow has more than ${LIMITS.steps} steps`);

  const seen = new Set<string>();
  const steps: StepDefinition[] = [];
  raw.steps.forEach((rawStep, index) => {
    const stepId = checkId(rawStep.id, `step #${index + 1} id`, problems);
    const where = stepId ? `step "${stepId}"` : `step #${index + 1}`;
    if (stepId && seen.has(stepId)) problems.add("", `duplicate step id "${stepId}"`);
    if (stepId) seen.add(stepId);
    const needs: string[] = [];
    for (const need of rawStep.needs) {
      if (typeof need !== "string") problems.add(where, `needs must list step ids, got ${typeof need}`);
      else if (needs.includes(need)) problems.add(where, `needs lists "${need}" twice`);
      else needs.push(need);
    }
    let timeoutMs: number | null = null;
    if (rawStep.timeout !== undefined && rawStep.timeout !== null) {
      const ms = durationIn(rawStep.timeout, 1, LIMITS.timeoutMs);
      if (typeof ms === "string") problems.add(where, `timeout ${ms}`);
      else timeoutMs = ms;
    }
    const effects = rawStep.effects ?? "idempotent";
    if (!STEP_EFFECTS.includes(effects as StepEffects))
      problems.add(where, `effects must be "idempotent" or "non-idempotent", got ${JSON.stringify(effects)}`);
    if (typeof rawStep.handler !== "function") problems.add(where, "has no handler");
    const outputs: string[] = [];
    for (const path of rawStep.outputs ?? []) {
      if (typeof path !== "string" || path.length === 0) problems.add(where, "outputs must list file paths");
      else if (path.startsWith("/") || path.split(/[\\/]/).includes(".."))
        problems.add(where, `output "${path}" must be a relative path inside the run directory`);
      else outputs.push(path);
    }
    if (rawStep.label !== undefined && typeof rawStep.label !== "string")
      problems.add(where, "label must be a string");
    steps.push({
      id: stepId ?? `#${index + 1}`,
      needs,
      handler: rawStep.handler,
      retry: normaliseRetry(rawStep.retry, where, problems),
      timeoutMs,
      effects: effects as StepEffects,
      label: typeof rawStep.label === "string" ? rawStep.label : null,
      outputs,
      source: rawStep.source,
    });
  });

  // Graph checks run after the per-step checks so that every problem is reported in one pass.
  for (const step of steps)
    for (const need of step.needs) {
      if (need === step.id) problems.add(`step "${step.id}"`, "needs itself");
      else if (!seen.has(need)) problems.add(`step "${step.id}"`, `needs unknown step "${need}"`);
    }
  const cycle = findCycle(steps.filter((s) => !s.needs.includes(s.id)));
  if (cycle) problems.add("", `steps form a cycle: ${cycle.join(" -> ")}`);

  const recovery = raw.recovery ?? "auto";
  if (!RECOVERY_POLICIES.includes(recovery as RecoveryPolicy))
    problems.add("", `recovery must be "auto" or "manual", got ${JSON.stringify(recovery)}`);
  const maxRecoveries = raw.maxRecoveries ?? 3;
  const maxRecoveriesProblem = numberIn(maxRecoveries, 0, LIMITS.maxRecoveries, true);
  if (maxRecoveriesProblem) problems.add("", `maxRecoveries ${maxRecoveriesProblem}`);
  if (raw.failFast !== undefined && typeof raw.failFast !== "boolean")
    problems.add("", `failFast must be true or false, got ${JSON.stringify(raw.failFast)}`);
  let checkpointIntervalMs = 1000;
  if (raw.checkpointInterval !== undefined) {
    const ms = durationIn(raw.checkpointInterval, 0, LIMITS.backoffMs);
    if (typeof ms === "string") problems.add("", `checkpointInterval ${ms}`);
    else checkpointIntervalMs = ms;
  }
  const secrets: string[] = [];
  for (const name of raw.secrets ?? []) {
    if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      problems.add("", `secret names must be identifiers like API_KEY, got ${JSON.stringify(name)}`);
    else secrets.push(name);
  }

  if (problems.list.length > 0) {
    const head = `Workflow "${id}" is invalid`;
    const message =
      problems.list.length === 1 ? `${head}: ${problems.list[0]}.` : `${head}:\n  - ${problems.list.join("\n  - ")}`;
    throw new CairnError("INVALID_DEFINITION", message, { details: { problems: problems.list } });
  }
  return {
    id,
    steps,
    inputSchema: raw.inputSchema ?? null,
    failFast: raw.failFast === true,
    recovery: recovery as RecoveryPolicy,
    maxRecoveries: maxRecoveries as number,
    secrets,
    checkpointIntervalMs,
    sourceFile: raw.sourceFile ?? null,
  };
}

/** Validate a run's input against the workflow's schema; returns the parsed value. */
export async function validateInput(definition: WorkflowDefinition, input: unknown): Promise<Json> {
  const schema = definition.inputSchema;
  let value = input;
  if (schema) {
    const result = (await schema["~standard"].validate(input)) as
      | { value: unknown; issues?: undefined }
      | { issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> };
    if (result.issues) {
      const issues = result.issues.map((issue) => {
        const path = (issue.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join(".");
        return path ? `${path}: ${issue.message}` : issue.message;
      });
      throw new CairnError(
        "INVALID_INPUT",
        `Input for workflow "${definition.id}" is invalid: ${issues.join("; ")}.`,
        { details: { issues } },
      );
    }
    value = result.value;
  }
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as Json;
  } catch (cause) {
    throw new CairnError("INVALID_INPUT", "Run input must be JSON-serialisable.", { cause });
  }
}

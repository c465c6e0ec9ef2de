import { checkId, durationIn, LIMITS, normaliseRetry, numberProblem, Problems } from "./definition-checks.js";
import { CairnError } from "./errors.js";
import { findCycle, type GraphNode } from "./graph.js";
import type { Logger } from "./logger.js";
import { checkMap, INPUT_SOURCE, type MapSpec, type RawMap } from "./map-spec.js";
import { checkResumeDefaults, type ResumeDefaults } from "./resume-strategy.js";
import type { RetryPolicy } from "./retry.js";
import { checkSchedules, type RawSchedule, type ScheduleDefinition } from "./schedule.js";
import type { Json } from "./types.js";

export type { Logger } from "./logger.js";

/** The slice of the Standard Schema interface (zod 4, valibot, arktype…) Cairn uses for run input. */
export interface InputSchema {
  readonly "~standard": {
    validate(value: unknown):
      | { value: unknown; issues?: undefined }
      | {
          issues: ReadonlyArray<{
            message: string;
            path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
          }>;
        }
      | Promise<unknown>;
  };
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
  /**
   * Durable sleep for a duration ("10m", "24h", or ms): the step is parked, holding no executor slot
   * and needing no live process, and its handler runs again from the top once the time has come —
   * earlier `memo`s and this sleep then return at once. Wrap work before a sleep in `memo`.
   * @example await ctx.memo("email", () => send(mail)); await ctx.sleep("24h"); await ctx.memo("reminder", …);
   */
  sleep(duration: string | number): Promise<void>;
  /** Durable sleep until a time (a Date, an ISO 8601 string or ms since the epoch); see `sleep`. */
  sleepUntil(until: Date | string | number): Promise<void>;
  /**
   * Wait for the signal `name` (sent with `cairn signal`, the API or `Cairn.signal`) and return its
   * data. Parks the step like `sleep` until the signal comes (or `timeout` passes: then `default`
   * is returned, or the step fails). `schema` is a JSON Schema senders' data must fit.
   * @example const { approved } = await ctx.waitForSignal("approve", { timeout: "24h", schema }) as { approved: boolean };
   */
  waitForSignal(
    name: string,
    options?: { timeout?: string | number; schema?: Json; default?: Json },
  ): Promise<Json>;
  /**
   * Start the workflow `workflowId` as a child run with `input` and return its output once it
   * succeeded. The step parks like `waitForSignal` meanwhile (no executor slot). The child is a run
   * of its own (id `<run>.<step>.<n>` for the n-th call in the step), started once per attempt: the
   * step's re-executions, crash recoveries and resumes await the same child. A failed or cancelled
   * child fails the attempt with an error naming it; a retry of the step starts a new child
   * (`<run>.<step>.<n>.a2`…); resuming either run resumes both.
   * @example const report = await ctx.runWorkflow("build-report", { day: ctx.input.day });
   */
  runWorkflow(workflowId: string, input?: unknown): Promise<Json>;
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

export const STEP_EFFECTS = ["idempotent", "non-idempotent"] as const;
export type StepEffects = (typeof STEP_EFFECTS)[number];
export const RECOVERY_POLICIES = ["auto", "manual"] as const;
export type RecoveryPolicy = (typeof RECOVERY_POLICIES)[number];

/** What identifies an action (see action.ts) in a step's fingerprint and its stored graph. */
export interface ActionRef {
  readonly name: string;
  readonly version: string;
}

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
  /** A map step: its handler runs the map's items (see `runMapStep`). */
  readonly map: MapSpec | null;
  /** The action a `uses: <action>` step calls: its name and version are part of the fingerprint. */
  readonly action: ActionRef | null;
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
  /** The run's deadline, from its start or resume: past it the run fails and in-flight steps are aborted. */
  readonly timeoutMs: number | null;
  /** The timeout of every step that declares none (already applied to `steps`). */
  readonly stepTimeoutMs: number | null;
  /** What a resume of its runs does when the request does not say (YAML `resume:`), or null. */
  readonly resume: ResumeDefaults | null;
  /** Ticks at which a worker starts a run by itself (see core/schedule.ts). */
  readonly schedules: readonly ScheduleDefinition[];
  /** The file it was loaded from, when it came from one. */
  readonly sourceFile: string | null;
}

export { DEFAULT_RETRY, LIMITS } from "./definition-checks.js";
export type { RetryPolicy } from "./retry.js";

/** Raw, unvalidated options shared by both front doors. */
export interface RawStep {
  id: unknown;
  needs: readonly unknown[];
  handler: StepHandler;
  retry?: unknown;
  timeout?: unknown;
  effects?: unknown;
  label?: unknown;
  outputs?: readonly unknown[];
  /** A map step; its `handler` is then unused (the map's item handler runs per item). */
  map?: RawMap;
  source: string;
  /** Where the step is defined ("file.yaml:7:5"), put in front of its problems. */
  location?: string;
  /** The action a `uses: <action>` step calls. */
  action?: ActionRef;
}

export interface RawWorkflow {
  id: unknown;
  steps: readonly RawStep[];
  inputSchema?: unknown;
  failFast?: unknown;
  recovery?: unknown;
  maxRecoveries?: unknown;
  secrets?: readonly unknown[];
  checkpointInterval?: unknown;
  timeout?: unknown;
  stepTimeout?: unknown;
  resume?: unknown;
  schedules?: readonly RawSchedule[];
  sourceFile?: string | null;
  /** Problems the front door found itself (unknown keys…), reported with all the others. */
  problems?: readonly string[];
}

/**
 * Validate a workflow from either front door and return its normalised definition.
 * Every problem is reported at once in one INVALID_DEFINITION error.
 */
export function defineWorkflow(raw: RawWorkflow): WorkflowDefinition {
  const problems = new Problems();
  for (const problem of raw.problems ?? []) problems.add("", problem);
  const id = checkId(raw.id, "workflow id", problems);
  if (raw.steps.length === 0) problems.add("", "the workflow has no steps; add at least one");
  if (raw.steps.length > LIMITS.steps) problems.add("", `the workflow has more than ${LIMITS.steps} steps`);
  const declared = checkSteps(raw.steps, problems);
  const options = checkWorkflowOptions(raw, problems);
  const steps = declared.map((step) =>
    step.timeoutMs === null && options.stepTimeoutMs !== null
      ? { ...step, timeoutMs: options.stepTimeoutMs }
      : step,
  );
  if (problems.list.length > 0) {
    const head = id ? `Workflow "${id}" is invalid` : "Workflow is invalid";
    const message =
      problems.list.length === 1
        ? `${head}: ${problems.list[0]}.`
        : `${head}:\n  - ${problems.list.join("\n  - ")}`;
    throw new CairnError("INVALID_DEFINITION", message, { details: { problems: problems.list } });
  }
  return { id: id as string, steps, ...options, sourceFile: raw.sourceFile ?? null };
}

/** Each step's own checks, then the graph's (needs and cycles). */
function checkSteps(rawSteps: readonly RawStep[], problems: Problems): StepDefinition[] {
  // Ids as written, valid or not: a need naming an invalid id is not reported a second time as unknown.
  const written = new Set(rawSteps.map((s) => s.id).filter((v): v is string => typeof v === "string"));
  const counts = new Map<string, number>();
  for (const s of rawSteps) if (typeof s.id === "string") counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
  const seen = new Set<string>();
  const graph: GraphNode[] = [];
  const steps = rawSteps.map((rawStep, index) => {
    const stepId = checkId(rawStep.id, `step #${index + 1} id`, problems, rawStep.location ?? "");
    const where = `${rawStep.location ? `${rawStep.location}: ` : ""}${stepId ? `step "${stepId}"` : `step #${index + 1}`}`;
    const duplicate = stepId !== null && (counts.get(stepId) ?? 0) > 1;
    if (stepId && seen.has(stepId)) problems.add(where, `duplicate step id "${stepId}" (ids must be unique)`);
    if (stepId) seen.add(stepId);
    const needs: string[] = [];
    if (!Array.isArray(rawStep.needs)) problems.add(where, "needs must be a list of step ids");
    for (const need of Array.isArray(rawStep.needs) ? rawStep.needs : []) {
      if (typeof need !== "string")
        problems.add(where, `needs must list step ids, got ${JSON.stringify(need)}`);
      else if (needs.includes(need)) problems.add(where, `needs lists "${need}" twice`);
      else if (need === rawStep.id) {
        // A duplicate whose implicit need is the step of the same id before it: the duplicate says it all.
        if (!duplicate) problems.add(where, "needs itself");
      } else {
        if (!written.has(need)) problems.add(where, `needs unknown step "${need}"`);
        needs.push(need);
      }
    }
    // A map's source step is an implicit need: its output must exist before the items can be listed.
    const map = rawStep.map ? checkMap(rawStep.map, written, where, problems) : null;
    if (map && map.source !== "" && map.source !== INPUT_SOURCE && !needs.includes(map.source))
      needs.push(map.source);
    if (stepId && !duplicate) graph.push({ id: stepId, needs });
    return checkStepOptions(rawStep, { id: stepId ?? `#${index + 1}`, needs, where, map }, problems);
  });
  // Only over valid, unique ids: the cycle named is then one the user can find in the file.
  const known = new Set(graph.map((n) => n.id));
  const cycle = findCycle(graph.map((n) => ({ id: n.id, needs: n.needs.filter((need) => known.has(need)) })));
  if (cycle) problems.add("", `steps form a cycle: ${cycle.join(" -> ")}`);
  return steps;
}

function checkStepOptions(
  rawStep: RawStep,
  step: { id: string; needs: string[]; where: string; map: MapSpec | null },
  problems: Problems,
): StepDefinition {
  const { where } = step;
  let timeoutMs: number | null = null;
  if (rawStep.timeout !== undefined && rawStep.timeout !== null) {
    const ms = durationIn(rawStep.timeout, 1, LIMITS.timeoutMs);
    if (typeof ms === "string") problems.add(where, `timeout ${ms}`);
    else timeoutMs = ms;
  }
  const effects = rawStep.effects ?? "idempotent";
  if (!STEP_EFFECTS.includes(effects as StepEffects))
    problems.add(where, `effects must be "idempotent" or "non-idempotent", got ${JSON.stringify(effects)}`);
  if (!step.map && typeof rawStep.handler !== "function") problems.add(where, "has no handler function");
  const outputs: string[] = [];
  for (const file of rawStep.outputs ?? []) {
    if (typeof file !== "string" || file.length === 0) problems.add(where, "outputs must list file paths");
    else if (file.startsWith("/") || file.split(/[\\/]/).includes(".."))
      problems.add(where, `output "${file}" must be a relative path inside the run directory`);
    else outputs.push(file);
  }
  if (rawStep.label !== undefined && typeof rawStep.label !== "string")
    problems.add(where, "label must be a string");
  return {
    id: step.id,
    needs: step.needs,
    handler: step.map ? mapStepHandler(step.map) : rawStep.handler,
    retry: normaliseRetry(rawStep.retry, where, problems),
    timeoutMs,
    effects: effects as StepEffects,
    label: typeof rawStep.label === "string" ? rawStep.label : null,
    outputs,
    source: rawStep.source,
    map: step.map,
    action: rawStep.action ? { name: rawStep.action.name, version: rawStep.action.version } : null,
  };
}

/**
 * A map step's handler hands the map to the engine, which gives every execution context a `runMap`
 * (src/engine/map-step.ts): the items are recorded in the store, which the core does not reach.
 */
function mapStepHandler(map: MapSpec): StepHandler {
  return (ctx) => (ctx as unknown as { runMap(map: MapSpec): Promise<Json[]> }).runMap(map);
}

type WorkflowOptionsPart = Omit<WorkflowDefinition, "id" | "steps" | "sourceFile">;

function checkWorkflowOptions(raw: RawWorkflow, problems: Problems): WorkflowOptionsPart {
  const schema = raw.inputSchema ?? null;
  if (schema !== null && typeof (schema as Partial<InputSchema>)["~standard"]?.validate !== "function")
    problems.add("", "input must be a schema implementing Standard Schema (zod, valibot, arktype…)");
  const recovery = raw.recovery ?? "auto";
  if (!RECOVERY_POLICIES.includes(recovery as RecoveryPolicy))
    problems.add("", `recovery must be "auto" or "manual", got ${JSON.stringify(recovery)}`);
  const maxRecoveries = raw.maxRecoveries ?? 3;
  const maxRecoveriesProblem = numberProblem(maxRecoveries, 0, LIMITS.maxRecoveries, true);
  if (maxRecoveriesProblem) problems.add("", `maxRecoveries ${maxRecoveriesProblem}`);
  if (raw.failFast !== undefined && typeof raw.failFast !== "boolean")
    problems.add("", `failFast must be true or false, got ${JSON.stringify(raw.failFast)}`);
  let checkpointIntervalMs = 1000;
  if (raw.checkpointInterval !== undefined) {
    const ms = durationIn(raw.checkpointInterval, 0, LIMITS.backoffMs);
    if (typeof ms === "string") problems.add("", `checkpointInterval ${ms}`);
    else checkpointIntervalMs = ms;
  }
  const timeoutMs = optionalDuration(raw.timeout, "timeout", problems);
  const stepTimeoutMs = optionalDuration(raw.stepTimeout, "stepTimeout", problems);
  const secrets: string[] = [];
  for (const name of raw.secrets ?? []) {
    if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      problems.add("", `secret names must be identifiers like API_KEY, got ${JSON.stringify(name)}`);
    else secrets.push(name);
  }
  return {
    inputSchema: schema as InputSchema | null,
    failFast: raw.failFast === true,
    recovery: recovery as RecoveryPolicy,
    maxRecoveries: maxRecoveriesProblem ? 3 : (maxRecoveries as number),
    secrets,
    checkpointIntervalMs,
    timeoutMs,
    stepTimeoutMs,
    resume: checkResumeDefaults(raw.resume, problems),
    schedules: checkWorkflowSchedules(raw, secrets, problems),
  };
}

/** A scheduled run is started by a worker, which has no secrets to give it. */
function checkWorkflowSchedules(
  raw: RawWorkflow,
  secrets: readonly string[],
  problems: Problems,
): ScheduleDefinition[] {
  const schedules = checkSchedules(raw.schedules ?? [], problems);
  if (schedules.length > 0 && secrets.length > 0)
    problems.add("", "a workflow that needs secrets cannot have schedules (a scheduled run has no secrets)");
  return schedules;
}

/** A run or step timeout (1 ms to 7 days), or null when not given. */
function optionalDuration(value: unknown, what: string, problems: Problems): number | null {
  if (value === undefined || value === null) return null;
  const ms = durationIn(value, 1, LIMITS.timeoutMs);
  if (typeof ms === "string") {
    problems.add("", `${what} ${ms}`);
    return null;
  }
  return ms;
}

/** Validate a run's input against the workflow's schema; returns the parsed value. */
export async function validateInput(definition: WorkflowDefinition, input: unknown): Promise<Json> {
  const schema = definition.inputSchema;
  let value = input;
  if (schema) {
    const result = (await schema["~standard"].validate(input)) as
      | { value: unknown; issues?: undefined }
      | {
          issues: ReadonlyArray<{
            message: string;
            path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
          }>;
        };
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

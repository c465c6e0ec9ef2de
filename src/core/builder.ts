import {
  defineWorkflow,
  type InputSchema,
  type RawStep,
  type StepContext,
  type StepHandler,
  type WorkflowDefinition,
} from "./definition.js";
import type { ResumeDefaults } from "./resume-strategy.js";

type Duration = number | `${number}${"ms" | "s" | "m" | "h"}`;

export interface StepOptions<Need extends string> {
  /** Upstream step ids. Omitted: the step before this one (a plain chain is a sequence). `[]`: a root. */
  needs?: readonly Need[];
  retry?: { attempts?: number; backoff?: { initial?: Duration; factor?: number; max?: Duration } };
  timeout?: Duration;
  /** "non-idempotent": never re-executed automatically after a crash; a person decides. */
  effects?: "idempotent" | "non-idempotent";
  label?: string;
  /** Files (relative to the run directory) the step must leave behind; their digests are recorded. */
  outputs?: readonly string[];
  /**
   * Part of the step's fingerprint. The fingerprint sees the handler's source text, not values it
   * closes over: bump `version` when behaviour changes without the text changing.
   */
  version?: string | number;
}

export interface WorkflowOptions<I> {
  input?: InputSchema & { readonly "~standard": { readonly types?: { readonly output: I } } };
  /** Stop scheduling new steps once one step has failed (steps in flight finish). Default false. */
  failFast?: boolean;
  /** What happens to a step in flight when its worker dies. Default "auto". */
  recovery?: "auto" | "manual";
  /** Automatic recoveries allowed per step before the run waits for a person. Default 3. */
  maxRecoveries?: number;
  /** Names of runtime secrets the workflow needs at start and resume. */
  secrets?: readonly string[];
  /** Minimum time between two checkpoint writes of one step. Default "1s". */
  checkpointInterval?: Duration;
  /**
   * The run's deadline, counted from its start (and again from each resume): once it passes, the
   * steps in flight are aborted and the run fails with "deadline exceeded after …"; it can be resumed.
   */
  timeout?: Duration;
  /** The timeout of every step that declares none, so that a forgotten hang ends in a clear failure. */
  stepTimeout?: Duration;
  /**
   * What a resume of its runs does when the request does not say: `retryFailed`, `resetRunning`,
   * `maxAttempts`, `onChange`. A request's own options override these one by one; the plan says which
   * applied.
   */
  resume?: ResumeDefaults;
}

const STEP_OPTION_KEYS = ["needs", "retry", "timeout", "effects", "label", "outputs", "version"];
const WORKFLOW_OPTION_KEYS = [
  "input",
  "failFast",
  "recovery",
  "maxRecoveries",
  "secrets",
  "checkpointInterval",
  "timeout",
  "stepTimeout",
  "resume",
];

/** Unknown keys in an options object, as problems; reported with every other problem at `definition()`. */
function unknownKeys(options: unknown, known: readonly string[], where: string): string[] {
  if (typeof options !== "object" || options === null) return [];
  return Object.keys(options)
    .filter((key) => !known.includes(key))
    .map((key) => `${where}unknown option "${key}" (known: ${known.join(", ")})`);
}

/**
 * A workflow defined in TypeScript. Each `.step()` returns a builder that knows the new step's output
 * type, so `needs` is typed in downstream handlers.
 *
 * @example
 * export default workflow("report", { input: z.object({ topic: z.string() }) })
 *   .step("fetch", async ({ input }) => ({ rows: 10 }))
 *   .step("summarise", { needs: ["fetch"], retry: { attempts: 3 } }, async ({ needs }) => needs.fetch.rows * 2);
 */
export class Workflow<I = unknown, O extends Record<string, unknown> = {}, Last extends string = never> {
  readonly id: string;
  readonly #options: WorkflowOptions<I>;
  /**
   * Steps shared along a chain of builders: this builder's are the first `#count`. `.step()` on the
   * newest builder of a chain appends in place (a chain of n steps costs O(n), not O(n²)); on an older
   * one (branching from a common start) it copies that builder's steps first.
   */
  #steps: RawStep[];
  #count: number;
  /** Unknown option keys met so far; thrown with the rest by `definition()`. */
  readonly #problems: readonly string[];
  #definition: WorkflowDefinition | null = null;

  constructor(
    id: string,
    options: WorkflowOptions<I> = {},
    steps: readonly RawStep[] = [],
    problems?: readonly string[],
  ) {
    this.id = id;
    this.#options = options ?? {};
    this.#steps = [...steps];
    this.#count = steps.length;
    this.#problems = problems ?? unknownKeys(options, WORKFLOW_OPTION_KEYS, "");
  }

  step<Id extends string, R>(
    id: Id,
    handler: (ctx: StepContext<I, Pick<O, Last>>) => R,
  ): Workflow<I, O & { [K in Id]: Awaited<R> }, Id>;
  step<Id extends string, Need extends keyof O & string, R>(
    id: Id,
    options: StepOptions<Need>,
    handler: (ctx: StepContext<I, Pick<O, Need>>) => R,
  ): Workflow<I, O & { [K in Id]: Awaited<R> }, Id>;
  step(id: string, a: unknown, b?: unknown): unknown {
    const options = (typeof a === "function" ? {} : (a ?? {})) as StepOptions<string>;
    const handler = (typeof a === "function" ? a : b) as StepHandler;
    const unknown = unknownKeys(options, STEP_OPTION_KEYS, `step "${id}": `);
    const problems = unknown.length > 0 ? [...this.#problems, ...unknown] : this.#problems;
    const previous = this.#count > 0 ? this.#steps[this.#count - 1] : undefined;
    const needs = options.needs ?? (previous ? [previous.id] : []);
    const raw: RawStep = {
      id,
      needs,
      handler,
      retry: options.retry,
      timeout: options.timeout,
      effects: options.effects,
      label: options.label,
      outputs: options.outputs,
      source:
        (typeof handler === "function" ? handler.toString() : "") +
        (options.version === undefined ? "" : `\nversion: ${String(options.version)}`),
    };
    const steps = this.#steps.length === this.#count ? this.#steps : this.#steps.slice(0, this.#count);
    steps.push(raw);
    const next = new Workflow(this.id, this.#options, [], problems);
    next.#steps = steps;
    next.#count = steps.length;
    return next;
  }

  /** The validated definition; throws INVALID_DEFINITION listing every problem. */
  definition(sourceFile: string | null = null): WorkflowDefinition {
    if (this.#definition && this.#definition.sourceFile === sourceFile) return this.#definition;
    this.#definition = defineWorkflow({
      id: this.id,
      steps: this.#steps.slice(0, this.#count),
      inputSchema: this.#options.input ?? null,
      failFast: this.#options.failFast,
      recovery: this.#options.recovery,
      maxRecoveries: this.#options.maxRecoveries,
      secrets: this.#options.secrets,
      checkpointInterval: this.#options.checkpointInterval,
      timeout: this.#options.timeout,
      stepTimeout: this.#options.stepTimeout,
      resume: this.#options.resume,
      sourceFile,
      problems: this.#problems,
    });
    return this.#definition;
  }
}

export function workflow<I = unknown>(id: string, options: WorkflowOptions<I> = {}): Workflow<I> {
  return new Workflow<I>(id, options);
}

/**
 * What the engine needs from a builder. Structural, because `Workflow`'s private fields make one
 * `Workflow<I, O>` unassignable to another, so no single `Workflow<…>` type accepts every builder.
 */
export interface WorkflowBuilder {
  readonly id: string;
  definition(sourceFile?: string | null): WorkflowDefinition;
}

/** Anything that can be registered or started: a builder or an already validated definition. */
export type WorkflowLike = WorkflowBuilder | WorkflowDefinition;

export function isWorkflowBuilder(value: unknown): value is WorkflowBuilder {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { definition?: unknown }).definition === "function" &&
    typeof (value as { step?: unknown }).step === "function"
  );
}

export function toDefinition(value: WorkflowLike, sourceFile: string | null = null): WorkflowDefinition {
  return isWorkflowBuilder(value) ? value.definition(sourceFile) : value;
}

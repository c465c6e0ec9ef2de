import {
  defineWorkflow,
  type InputSchema,
  type RawStep,
  type StepContext,
  type StepHandler,
  type WorkflowDefinition,
} from "./definition.js";
import { CairnError } from "./errors.js";

type Duration = number | `${number}${"ms" | "s" | "m" | "h"}`;

export interface StepOptions<Need extends string> {
  /** Upstream step ids. Omitted: the step before this one (a plain chain is a sequence). `[]`: a root. */
  needs?: readonly Need[];
  retry?: { attempts?: number; backoff?: { initial?: Duration; factor?: number; max?: Duration } };
  timeout?: Duration;
  /** "non-idempotent": never re-executed automatically after a crash; a person decides. */
  effects?: "idempotent" | "non-idempotent";
  label?: string;
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
}

const STEP_OPTION_KEYS = new Set(["needs", "retry", "timeout", "effects", "label", "version"]);
const WORKFLOW_OPTION_KEYS = new Set(["input", "failFast", "recovery", "maxRecoveries", "secrets", "checkpointInterval"]);

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
  readonly #steps: RawStep[];
  #definition: WorkflowDefinition | null = null;

  constructor(id: string, options: WorkflowOptions<I> = {}, steps: RawStep[] = []) {
    for (const key of Object.keys(options))
      if (!WORKFLOW_OPTION_KEYS.has(key))
        throw new CairnError("INVALID_DEFINITION", `Workflow "${id}" has an unknown option "${key}".`);
    this.id = id;
    this.#options = options;
    this.#steps = steps;
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
    for (const key of Object.keys(options))
      if (!STEP_OPTION_KEYS.has(key))
        throw new CairnError(
          "INVALID_DEFINITION",
          `Workflow "${this.id}" is invalid: step "${id}": unknown option "${key}".`,
        );
    const previous = this.#steps.at(-1);
    const needs = options.needs ?? (previous ? [previous.id] : []);
    const raw: RawStep = {
      id,
      needs,
      handler,
      retry: options.retry,
      timeout: options.timeout,
      effects: options.effects,
      label: options.label,
      source:
        (typeof handler === "function" ? handler.toString() : "") +
        (options.version === undefined ? "" : `\nversion: ${String(options.version)}`),
    };
    return new Workflow(this.id, this.#options, [...this.#steps, raw]);
  }

  /** The validated definition; throws INVALID_DEFINITION listing every problem. */
  definition(sourceFile: string | null = null): WorkflowDefinition {
    if (this.#definition && this.#definition.sourceFile === sourceFile) return this.#definition;
    this.#definition = defineWorkflow({
      id: this.id,
      steps: this.#steps,
      inputSchema: this.#options.input ?? null,
      failFast: this.#options.failFast,
      recovery: this.#options.recovery,
      maxRecoveries: this.#options.maxRecoveries,
      secrets: this.#options.secrets,
      checkpointInterval: this.#options.checkpointInterval,
      sourceFile,
    });
    return this.#definition;
  }
}

export function workflow<I = unknown>(id: string, options: WorkflowOptions<I> = {}): Workflow<I> {
  return new Workflow<I>(id, options);
}

/** Anything that can be registered or started: a builder or an already validated definition. */
export type WorkflowLike = Workflow<never, never, never> | WorkflowDefinition;

export function isWorkflowBuilder(value: unknown): value is Workflow<never, never, never> {
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

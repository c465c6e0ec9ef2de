import {
  defineWorkflow,
  type InputSchema,
  type RawStep,
  type StepContext,
  type StepHandler,
  type WorkflowDefinition,
} from "./definition.js";
import type { INPUT_SOURCE, MapItemContext } from "./map-spec.js";
import type { ResumeDefaults } from "./resume-strategy.js";
import type { ScheduleOptions } from "./schedule.js";

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
  /**
   * Start a run by itself at every tick: `cron` (with a `timezone`) or `every`, with an `input`.
   * Workers and `cairn serve` start exactly one run per tick, however many are running.
   * @example schedules: [{ cron: "0 * * * *", timezone: "Europe/Paris", input: { full: false } }]
   */
  schedules?: readonly ScheduleOptions[];
}

export interface MapOptions<Need extends string, Source extends string, Field extends string> {
  /** Where the items come from: an upstream step's id (an implicit need), or "$input" for the run input. */
  items: Source;
  /** A dot-separated path into that value when the list is a field of it, e.g. "topics". */
  field?: Field;
  /** Items running at once within this step's execution. Default 4. */
  concurrency?: number;
  /**
   * The item's key, unique within the map: a function of the item, or a field path of it. Default
   * its index. Recorded items are matched by key when the step executes again.
   */
  key?: string | ((item: never, index: number) => string | number);
  /** Failed items the map tolerates (their outputs are null in the list). Default 0. */
  maxFailures?: number;
  /** Retries of each item within one execution of the map step (with backoff). */
  retry?: StepOptions<Need>["retry"];
  /** The timeout of each item. (`timeout` in `step` options bounds the whole map step.) */
  itemTimeout?: Duration;
  /** Further upstream step ids the item handler reads in `ctx.needs`. */
  needs?: readonly Need[];
  timeout?: Duration;
  effects?: "idempotent" | "non-idempotent";
  label?: string;
  version?: string | number;
}

/** The element type of `T`, or of `T[Field]` when a (one-level) field is given; unknown otherwise. */
type ItemOf<T, Field extends string> = [Field] extends [never]
  ? T extends readonly (infer E)[]
    ? E
    : unknown
  : Field extends keyof T
    ? T[Field] extends readonly (infer E)[]
      ? E
      : unknown
    : unknown;

const MAP_OPTION_KEYS = [
  "items",
  "field",
  "concurrency",
  "key",
  "maxFailures",
  "retry",
  "itemTimeout",
  "needs",
  "timeout",
  "effects",
  "label",
  "version",
];
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
  "schedules",
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
// biome-ignore lint/complexity/noBannedTypes: `{}` is the empty start of the outputs the builder accumulates step by step
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
    const previous = this.#count > 0 ? this.#steps[this.#count - 1] : undefined;
    const needs = options.needs ?? (previous ? [previous.id] : []);
    return this.#append(
      {
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
      },
      unknownKeys(options, STEP_OPTION_KEYS, `step "${id}": `),
    );
  }

  #append(raw: RawStep, unknown: readonly string[]): unknown {
    const problems = unknown.length > 0 ? [...this.#problems, ...unknown] : this.#problems;
    const steps = this.#steps.length === this.#count ? this.#steps : this.#steps.slice(0, this.#count);
    steps.push(raw);
    const next = new Workflow(this.id, this.#options, [], problems);
    next.#steps = steps;
    next.#count = steps.length;
    return next;
  }

  /**
   * A map step: runs `handler` once per item of a list found at run time — an upstream step's output
   * (or a field of it), or the run input — at most `concurrency` at a time. Each item is recorded as
   * it settles; when the step executes again (retry, resume, crash recovery) only the items that did
   * not succeed run. Its output is the list of item outputs, in item order.
   *
   * @example
   * workflow("report")
   *   .step("plan", async () => ({ topics: ["a", "b", "c"] }))
   *   .map("sections", { items: "plan", field: "topics", concurrency: 2 }, async (topic) => `# ${topic}`);
   */
  map<
    Id extends string,
    Source extends (keyof O & string) | typeof INPUT_SOURCE,
    R,
    Field extends string = never,
    Need extends keyof O & string = never,
  >(
    id: Id,
    options: MapOptions<Need, Source, Field>,
    handler: (
      item: ItemOf<Source extends keyof O ? O[Source] : I, Field>,
      ctx: MapItemContext<I, Pick<O, Need | Exclude<Source, typeof INPUT_SOURCE>>>,
    ) => R,
  ): Workflow<I, O & { [K in Id]: Array<Awaited<R>> }, Id> {
    const o = (options ?? {}) as MapOptions<string, string, string>;
    const spec = [o.items, o.field, o.concurrency, o.maxFailures, o.retry, o.itemTimeout, String(o.key)];
    return this.#append(
      {
        id,
        needs: o.needs ?? [],
        handler: () => undefined,
        timeout: o.timeout,
        effects: o.effects,
        label: o.label,
        source: `map ${JSON.stringify(spec)}\n${String(handler)}${o.version === undefined ? "" : `\nversion: ${String(o.version)}`}`,
        map: {
          items: o.items,
          field: o.field,
          concurrency: o.concurrency,
          key: o.key,
          maxFailures: o.maxFailures,
          retry: o.retry,
          timeout: o.itemTimeout,
          handler,
        },
      },
      unknownKeys(options, MAP_OPTION_KEYS, `step "${id}": `),
    ) as never;
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
      schedules: (this.#options.schedules ?? []).map((value) => ({ value })),
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

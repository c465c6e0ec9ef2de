import {
  durationIn,
  isRecord,
  LIMITS,
  normaliseRetry,
  numberProblem,
  type Problems,
} from "./definition-checks.js";
import type { Logger } from "./logger.js";
import type { RetryPolicy } from "./retry.js";
import type { Json } from "./types.js";

/**
 * The most items one map step runs over. A longer list fails the step with one sentence: each item is
 * a row in the store, and 100,000 is what the store's item indexes are sized and tested for.
 */
export const MAX_MAP_ITEMS = 100_000;
/** `items: "$input"`: the map runs over the run input (or a field of it) instead of a step's output. */
export const INPUT_SOURCE = "$input";
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 1000;

/** What an item handler receives besides the item itself. */
export interface MapItemContext<I = unknown, N = Record<string, unknown>> {
  readonly input: I;
  readonly needs: N;
  /** This item: its key (its index unless the map has a `key`), its index, and this execution's attempt. */
  readonly item: { readonly key: string; readonly index: number; readonly attempt: number };
  readonly run: { readonly id: string; readonly attempt: number; readonly workdir: string };
  readonly step: { readonly id: string; readonly attempt: number };
  /** Aborted on the item's timeout, and on whatever aborts the map step (cancel, its timeout, a lost lease). */
  readonly signal: AbortSignal;
  /** Lines go to the map step's log, each prefixed with `[item <key>]`. */
  readonly log: Logger;
  /** Stable for this item of this step of this run: `<run id>:<step id>:<item key>`. */
  readonly idempotencyKey: string;
  readonly secrets: Readonly<Record<string, string>>;
  readonly epoch: number;
  /**
   * A durable memoized sub-step of this item: once `fn` returned, its result is recorded, and a later
   * execution of the item (a retry, a resume) gets it back without calling `fn`.
   */
  memo<T>(key: string, fn: () => T | Promise<T>): Promise<T>;
  /**
   * Record this item's progress; throttled to one write per the step's `checkpointInterval` unless
   * `force` (a value held back is written if the item fails).
   */
  checkpoint(state: Json, options?: { force?: boolean }): Promise<void>;
  /** The last checkpoint an earlier execution of this item wrote (a retry, a resume), if any. */
  readonly lastCheckpoint: Json | undefined;
}

export type ItemHandler = (item: never, ctx: MapItemContext<never, never>) => unknown;

/** A map as the front doors give it, unvalidated. */
export interface RawMap {
  /** A step id, or "$input". In YAML a field path may follow the step id: `plan.topics`. */
  items: unknown;
  /** A dot-separated path into the source's value (TypeScript; YAML writes it after the step id). */
  field?: unknown;
  concurrency?: unknown;
  /** A function of the item (TypeScript), or a dot-separated field path of the item (both). */
  key?: unknown;
  maxFailures?: unknown;
  retry?: unknown;
  timeout?: unknown;
  handler: unknown;
}

/** A validated map: where its items come from and how each one runs. */
export interface MapSpec {
  /** A step id, or INPUT_SOURCE. */
  readonly source: string;
  readonly path: readonly string[];
  readonly concurrency: number;
  readonly key: ((item: Json, index: number) => unknown) | null;
  /** Failed items the map tolerates; their outputs are null in the list. */
  readonly maxFailures: number;
  /** Executions of one item within one execution of the map step, with backoff between them. */
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | null;
  readonly handler: ItemHandler;
}

/** Validate a map; `written` holds every step id of the workflow (to split `plan.topics` and find unknown steps). */
export function checkMap(
  raw: RawMap,
  written: ReadonlySet<string>,
  where: string,
  problems: Problems,
): MapSpec {
  let source = "";
  let path: string[] = [];
  if (typeof raw.items !== "string" || raw.items === "")
    problems.add(
      where,
      `map items must name a step (or "${INPUT_SOURCE}"), got ${JSON.stringify(raw.items)}`,
    );
  else {
    [source, path] = splitSource(raw.items, written);
    if (source === "") problems.add(where, `map items come from an unknown step "${raw.items}"`);
  }
  if (raw.field !== undefined) {
    if (typeof raw.field !== "string" || raw.field === "")
      problems.add(
        where,
        `map field must be a dot-separated path like "topics", got ${JSON.stringify(raw.field)}`,
      );
    else path = [...path, ...raw.field.split(".")];
  }
  const concurrency = raw.concurrency ?? DEFAULT_CONCURRENCY;
  const concurrencyProblem = numberProblem(concurrency, 1, MAX_CONCURRENCY, true);
  if (concurrencyProblem) problems.add(where, `map concurrency ${concurrencyProblem}`);
  const maxFailures = raw.maxFailures ?? 0;
  const maxFailuresProblem = numberProblem(maxFailures, 0, MAX_MAP_ITEMS, true);
  if (maxFailuresProblem) problems.add(where, `map maxFailures ${maxFailuresProblem}`);
  let key: MapSpec["key"] = null;
  if (typeof raw.key === "function") key = raw.key as (item: Json, index: number) => unknown;
  else if (typeof raw.key === "string" && raw.key !== "") {
    const keyPath = raw.key.split(".");
    key = (item) => valueAt(item, keyPath);
  } else if (raw.key !== undefined)
    problems.add(where, `map key must be a field path or a function, got ${JSON.stringify(raw.key)}`);
  let timeoutMs: number | null = null;
  if (raw.timeout !== undefined && raw.timeout !== null) {
    const ms = durationIn(raw.timeout, 1, LIMITS.timeoutMs);
    if (typeof ms === "string") problems.add(where, `map timeout ${ms}`);
    else timeoutMs = ms;
  }
  if (typeof raw.handler !== "function") problems.add(where, "map has no item handler function");
  return {
    source,
    path,
    concurrency: concurrencyProblem ? DEFAULT_CONCURRENCY : (concurrency as number),
    key,
    maxFailures: maxFailuresProblem ? 0 : (maxFailures as number),
    retry: normaliseRetry(raw.retry, `${where}${where ? ": " : ""}map`, problems),
    timeoutMs,
    handler: raw.handler as ItemHandler,
  };
}

/** "plan.topics" → ["plan", ["topics"]]: the longest prefix that is a step id (ids may hold dots). */
function splitSource(items: string, written: ReadonlySet<string>): [string, string[]] {
  const parts = items.split(".");
  for (let n = parts.length; n >= 1; n--) {
    const head = parts.slice(0, n).join(".");
    if (head === INPUT_SOURCE || written.has(head)) return [head, parts.slice(n)];
  }
  return ["", []];
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) current = isRecord(current) ? current[part] : undefined;
  return current;
}

/**
 * The items a map runs over and their keys, from the run input or the source step's output. Throws
 * one sentence when the value is not a list, is too long, or two items share a key.
 */
export function resolveItems(
  spec: MapSpec,
  input: Json,
  needs: Readonly<Record<string, Json>>,
): { items: Json[]; keys: string[] } {
  const from = spec.source === INPUT_SOURCE ? input : (needs[spec.source] ?? null);
  const value = valueAt(from, spec.path);
  const named = [spec.source, ...spec.path].join(".");
  if (!Array.isArray(value))
    throw new Error(
      `Map items from ${named} must be a list, got ${value === null || value === undefined ? "nothing" : typeof value}.`,
    );
  if (value.length > MAX_MAP_ITEMS)
    throw new Error(
      `Map items from ${named}: ${value.length} items, more than the limit of ${MAX_MAP_ITEMS}.`,
    );
  const items = value as Json[];
  const keys = items.map((item, index) => {
    if (!spec.key) return String(index);
    const key = spec.key(item, index);
    if (typeof key !== "string" && typeof key !== "number")
      throw new Error(
        `The map key of item ${index} must be a string or a number, got ${JSON.stringify(key)}.`,
      );
    return String(key);
  });
  const seen = new Set<string>();
  for (const [index, key] of keys.entries()) {
    if (seen.has(key))
      throw new Error(`Map items ${index} and an earlier one share the key "${key}"; keys must be unique.`);
    seen.add(key);
  }
  return { items, keys };
}

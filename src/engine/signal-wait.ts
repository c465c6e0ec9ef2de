import { parseDuration } from "../core/duration.js";
import { CairnError } from "../core/errors.js";
import { signalDataProblem } from "../core/signal-data.js";
import { RESERVED_MEMO_PREFIX } from "../core/step-wait.js";
import type { Json, StepWait } from "../core/types.js";
import type { FencedStepRef, Store } from "../store/store.js";
import { StepParked } from "./sleep.js";

export interface SignalWaitOptions {
  /** How long to wait ("24h", or ms). Without it the step waits until a signal comes. */
  readonly timeout?: string | number;
  /** A JSON Schema the signal's data must fit; senders of data that does not fit are refused. */
  readonly schema?: Json;
  /** Returned when the timeout passes without a signal; without it the step fails then. */
  readonly default?: Json;
}

export interface SignalWaitDeps {
  readonly store: Store;
  readonly ref: FencedStepRef;
  memo<T>(key: string, fn: () => T | Promise<T>): Promise<T>;
  /** The step's recorded memos (to know whether a wait already got its signal). */
  recorded(): Promise<ReadonlyMap<string, Json>>;
  clock(): number;
  park(wait: StepWait): void;
  line(text: string): void;
  onLeaseLost(): never;
}

/**
 * `ctx.waitForSignal(name, options)`, replay-safe like a sleep (engine/sleep.ts): the n-th wait of an
 * execution records its deadline (memo `cairn:signal:<n>:deadline`) and, once it takes a signal, the
 * signal's data (memo `cairn:signal:<n>`) in the same transaction that marks the signal taken, so a
 * signal is delivered exactly once and re-executions return the recorded data.
 */
export class SignalWaits {
  #count = 0;
  constructor(private readonly deps: SignalWaitDeps) {}

  async wait(name: string, options: SignalWaitOptions = {}): Promise<Json> {
    const key = `${RESERVED_MEMO_PREFIX}signal:${++this.#count}`;
    const recorded = await this.deps.recorded();
    if (recorded.has(key)) return recorded.get(key)!;
    let timeoutMs: number | null = null;
    if (options.timeout !== undefined) {
      const parsed = parseDuration(options.timeout);
      if (typeof parsed !== "number")
        throw new CairnError("INVALID_INPUT", `waitForSignal("${name}"): timeout ${parsed.problem}.`);
      timeoutMs = parsed;
    }
    const deadline =
      timeoutMs === null
        ? null
        : await this.deps.memo(`${key}:deadline`, () => this.deps.clock() + timeoutMs);
    const taken = await this.#take(key, name, options.schema);
    if (taken !== undefined) return taken.data;
    if (deadline !== null && this.deps.clock() >= deadline) {
      if (options.default !== undefined) return this.deps.memo(key, () => options.default as Json);
      throw new CairnError(
        "UNPROCESSABLE",
        `No signal "${name}" arrived within ${typeof options.timeout === "number" ? `${options.timeout}ms` : options.timeout}.`,
      );
    }
    const wait: StepWait = {
      kind: "signal",
      name,
      until: deadline,
      ...(options.schema !== undefined ? { schema: options.schema } : {}),
    };
    this.deps.park(wait);
    throw new StepParked(wait);
  }

  /** Take the oldest pending signal of this name and record its data, in one fenced transaction. */
  async #take(key: string, name: string, schema: Json | undefined): Promise<{ data: Json } | undefined> {
    const { store, ref } = this.deps;
    for (;;) {
      const result = await store
        .transaction(async (tx) => {
          const signal = await tx.pendingSignal(ref.runId, name);
          if (!signal) return { done: undefined };
          const problem = schema === undefined ? null : signalDataProblem(schema, signal.data);
          const now = await tx.now();
          // Sent before the wait declared its schema, and does not fit it: set aside, never delivered.
          const by = problem ? { runId: ref.runId, stepId: `${ref.stepId} (rejected)` } : ref;
          if (!(await tx.takeSignal(signal.seq, by, now))) return { retry: true };
          if (problem) return { rejected: problem };
          if (!(await tx.putMemo(ref, key, signal.data))) throw new LeaseLost();
          return { done: { data: signal.data } };
        })
        .catch((error: unknown) => {
          if (error instanceof LeaseLost) this.deps.onLeaseLost();
          throw error;
        });
      if ("rejected" in result) {
        this.deps.line(
          `warn: a signal "${name}" sent before this wait does not fit its schema (${result.rejected}); set aside`,
        );
        continue;
      }
      if ("retry" in result) continue;
      return result.done;
    }
  }
}

class LeaseLost extends Error {}

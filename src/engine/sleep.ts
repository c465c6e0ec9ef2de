import { RESERVED_MEMO_PREFIX, sleepMs, wakeTime } from "../core/step-wait.js";
import type { StepWait } from "../core/types.js";

/**
 * Durable sleep (`ctx.sleep`, `ctx.sleepUntil`, the YAML `sleep:` / `until:` steps).
 *
 * The wake time is recorded once, as one of the step's memos (`cairn:sleep:<n>` for the n-th sleep of
 * an execution). When it is not yet due, the handler is interrupted with `StepParked` and the step is
 * parked: status `ready` with `readyAt` = the wake time and `wait` saying why, no lease, no executor
 * slot, its attempt given back. Claimed again at the wake time, the handler runs from the top; earlier
 * memos return their recorded results and the same sleep now returns at once. A crash or restart in
 * between changes nothing: the wake time is read back, never computed a second time.
 */
export class StepParked extends Error {
  constructor(readonly wait: StepWait) {
    super(`The step is parked (${wait.kind}); it continues when woken.`);
    this.name = "StepParked";
  }
}

export interface SleepDeps {
  /** Records `fn()`'s result under `key` once; later executions get the recorded value. */
  memo(key: string, fn: () => number): Promise<number>;
  clock(): number;
  /** Called before throwing: the runner parks the step even if the handler swallows the error. */
  park(wait: StepWait): void;
}

/** The sleeps of one execution, numbered in call order (replay gives them the same numbers). */
export class Sleeps {
  #count = 0;
  constructor(private readonly deps: SleepDeps) {}

  sleep(duration: unknown): Promise<void> {
    const ms = sleepMs(duration);
    return this.#until(() => this.deps.clock() + ms);
  }

  sleepUntil(until: unknown): Promise<void> {
    const at = wakeTime(until);
    return this.#until(() => at);
  }

  async #until(wake: () => number): Promise<void> {
    const until = await this.deps.memo(`${RESERVED_MEMO_PREFIX}sleep:${++this.#count}`, wake);
    if (this.deps.clock() >= until) return;
    const wait: StepWait = { kind: "sleep", until };
    this.deps.park(wait);
    throw new StepParked(wait);
  }
}

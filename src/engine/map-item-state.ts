import { CairnError } from "../core/errors.js";
import { toJsonValue } from "../core/json-value.js";
import type { Redactor } from "../core/redact.js";
import type { Json } from "../core/types.js";
import type { FencedStepRef, Store } from "../store/store.js";

/** What the items' memos and checkpoints need of a map step's execution. */
export interface ItemStateParams {
  readonly store: Store;
  readonly ref: FencedStepRef;
  readonly redactor: Redactor;
  readonly clock: () => number;
  /** Items' checkpoints are throttled like the step's: one write per item per interval. */
  readonly checkpointIntervalMs: number;
  /** A fenced write found the lease gone: aborts the execution and throws. */
  readonly lost: () => never;
}

/**
 * Item memos live with the map step's memos, under a key naming the item: read once per execution
 * (before the items run), and remembered when written, so that a retry of the item in the same
 * execution gets them back too.
 */
export class ItemMemos {
  constructor(
    private readonly p: ItemStateParams,
    private readonly recorded: Map<string, Json>,
  ) {}

  async memo<T>(itemKey: string, key: string, fn: () => T | Promise<T>): Promise<T> {
    if (typeof key !== "string" || key.length === 0)
      throw new CairnError("INVALID_INPUT", "A memo key must be a non-empty string.");
    const full = `item ${JSON.stringify([itemKey, key])}`;
    const recorded = this.recorded;
    if (recorded.has(full)) return recorded.get(full) as T;
    const result = await fn();
    const value = this.p.redactor.json(toJsonValue(result, `memo "${key}" of item "${itemKey}"`));
    const ok = await this.p.store.transaction((tx) => tx.putMemo(this.p.ref, full, value));
    if (!ok) this.p.lost();
    recorded.set(full, value);
    return result;
  }
}

/** The memo key under which an item's last checkpoint is kept (apart from its memos' `item [...]`). */
const checkpointKey = (itemKey: string) => `checkpoint ${JSON.stringify(itemKey)}`;

/**
 * Items' checkpoints, kept with the map step's memos: `ctx.checkpoint` of an item writes at most once
 * per interval (a later value waits, and is written when the item fails, so a retry or a resume
 * starts from it), and `ctx.lastCheckpoint` is the last one an earlier execution of the item wrote.
 */
export class ItemCheckpoints {
  readonly #lastAt = new Map<string, number>();
  readonly #pending = new Map<string, Json>();
  constructor(
    private readonly p: ItemStateParams,
    private readonly recorded: Map<string, Json>,
  ) {}

  /** The item's last written checkpoint: of an earlier execution, or of an earlier try in this one. */
  last(itemKey: string): Json | undefined {
    return this.recorded.get(checkpointKey(itemKey));
  }

  async write(itemKey: string, state: Json, force: boolean): Promise<void> {
    const value = this.p.redactor.json(toJsonValue(state, `checkpoint of item "${itemKey}"`));
    const now = this.p.clock();
    if (
      !force &&
      now - (this.#lastAt.get(itemKey) ?? Number.NEGATIVE_INFINITY) < this.p.checkpointIntervalMs
    ) {
      this.#pending.set(itemKey, value);
      return;
    }
    this.#lastAt.set(itemKey, now);
    this.#pending.delete(itemKey);
    await this.#put(itemKey, value);
  }

  /** Write the item's waiting checkpoint, if any: it failed, and its next execution starts from it. */
  async flush(itemKey: string): Promise<void> {
    const value = this.#pending.get(itemKey);
    this.#lastAt.delete(itemKey);
    if (value === undefined) return;
    this.#pending.delete(itemKey);
    await this.#put(itemKey, value);
  }

  async #put(itemKey: string, value: Json): Promise<void> {
    const ok = await this.p.store.transaction((tx) => tx.putMemo(this.p.ref, checkpointKey(itemKey), value));
    if (!ok) this.p.lost();
    this.recorded.set(checkpointKey(itemKey), value);
  }
}

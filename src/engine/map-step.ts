import { format } from "node:util";
import type { Logger, StepContext } from "../core/definition.js";
import { CairnError, toError } from "../core/errors.js";
import { toJsonValue } from "../core/json-value.js";
import { type MapItemContext, type MapSpec, resolveItems } from "../core/map-spec.js";
import { backoffMs } from "../core/retry.js";
import type { ItemRecord, Json, LogLine, StepError } from "../core/types.js";
import { ItemCheckpoints, ItemMemos, type ItemStateParams } from "./map-item-state.js";

export interface MapStepParams extends ItemStateParams {
  /** The run's tenant, for the `step.items` progress events. */
  readonly tenant: string;
  readonly context: StepContext<Json, Record<string, Json>>;
  readonly line: (stream: LogLine["stream"], text: string) => void;
}

/** One execution of a map step: its parameters and its items' memos and checkpoints. */
interface MapRun extends MapStepParams {
  readonly memos: ItemMemos;
  readonly checkpoints: ItemCheckpoints;
  /** The controllers of the items in flight, aborted when the map step is. */
  readonly live: Set<AbortController>;
}

class ItemTimeout extends Error {
  constructor(ms: number) {
    super(`Item timed out after ${ms}ms.`);
    this.name = "ItemTimeout";
  }
}

/**
 * Execute a map step: list its items, reuse the recorded outputs of items that succeeded in an earlier
 * execution (by key), run the others at most `concurrency` at a time, each with its own retries, and
 * record each item as it settles. Returns the outputs in item order, or throws once every item
 * settled when more than `maxFailures` failed.
 */
export async function runMapStep(params: MapStepParams, spec: MapSpec): Promise<Json[]> {
  const { context } = params;
  const { items, keys } = resolveItems(spec, context.input, context.needs);
  const recorded = await listedItems(params, keys);
  const memos = new Map((await params.store.listMemos(params.ref)).map((m) => [m.key, m.value]));
  const p: MapRun = {
    ...params,
    memos: new ItemMemos(params, memos),
    checkpoints: new ItemCheckpoints(params, memos),
    live: new Set(),
  };
  const outputs: Json[] = new Array(items.length).fill(null);
  const todo: number[] = [];
  for (const [index, key] of keys.entries()) {
    const record = recorded.get(key);
    if (record?.status === "succeeded") outputs[index] = record.output;
    else todo.push(index);
  }
  const kept = items.length - todo.length;
  if (kept > 0) p.line("log", `map: ${kept} of ${items.length} items kept from earlier executions`);
  const writer = new ItemWriter(p, { total: items.length, succeeded: kept, failed: 0 });
  const failures: Array<{ index: number; error: StepError }> = [];
  let next = 0;
  const lane = async () => {
    while (next < todo.length && !context.signal.aborted) {
      const index = todo[next++]!;
      const key = keys[index]!;
      const settled = await runItem(p, spec, { item: items[index]!, index, key }, recorded.get(key));
      if (settled.status === "succeeded") outputs[index] = settled.output;
      else failures.push({ index, error: settled.error! });
      writer.add(settled);
    }
  };
  // One listener for the whole map (not one per item: 100 items in flight would be 100 listeners).
  const abortItems = () => {
    for (const item of p.live) item.abort(context.signal.reason);
  };
  context.signal.addEventListener("abort", abortItems, { once: true });
  try {
    await Promise.all(Array.from({ length: Math.min(spec.concurrency, todo.length) }, lane));
  } finally {
    context.signal.removeEventListener("abort", abortItems);
    await writer.close();
  }
  if (context.signal.aborted) throw context.signal.reason;
  if (failures.length > spec.maxFailures) {
    const first = failures.reduce((a, b) => (b.index < a.index ? b : a));
    throw new Error(
      `${failures.length} of ${items.length} items failed${spec.maxFailures > 0 ? ` (at most ${spec.maxFailures} allowed)` : ""}; first: item "${keys[first.index]}": ${first.error.message}`,
    );
  }
  return outputs;
}

/**
 * The recorded items of this map step by key, fitted to this execution's list. A rerun that matches
 * items by key starts with its source's items, recorded for an earlier list: the items whose key is
 * no longer listed are dropped, and the others take their index in this list.
 */
async function listedItems(p: MapStepParams, keys: readonly string[]): Promise<Map<string, ItemRecord>> {
  const recorded = new Map((await p.store.getItems(p.ref.runId, p.ref.stepId)).map((r) => [r.key, r]));
  const index = new Map(keys.map((key, i) => [key, i]));
  const dropped = [...recorded.keys()].filter((key) => !index.has(key));
  const moved = [...recorded.values()]
    .filter((r) => index.has(r.key) && index.get(r.key) !== r.index)
    .map((r) => ({ ...r, index: index.get(r.key)! }));
  if (dropped.length === 0 && moved.length === 0) return recorded;
  const ok = await p.store.transaction(
    async (tx) => (await tx.dropItems(p.ref, dropped)) && (await tx.recordItems(p.ref, moved)),
  );
  if (!ok) p.lost();
  if (dropped.length > 0)
    p.line(
      "log",
      `map: ${dropped.length} recorded items dropped, their keys no longer listed: ${sample(dropped)}`,
    );
  for (const key of dropped) recorded.delete(key);
  for (const r of moved) recorded.set(r.key, r);
  return recorded;
}

function sample(keys: readonly string[]): string {
  return keys.slice(0, 5).join(", ") + (keys.length > 5 ? ", …" : "");
}

/** One item, with its retries (backoff between them) within this execution of the map step. */
async function runItem(
  p: MapRun,
  spec: MapSpec,
  at: { item: Json; index: number; key: string },
  earlier: ItemRecord | undefined,
): Promise<ItemRecord> {
  const startedAt = p.clock();
  let attempts = earlier?.attempts ?? 0;
  for (let tries = 1; ; tries++) {
    attempts++;
    try {
      const raw = await callItem(p, spec, at, attempts);
      const output = p.redactor.json(toJsonValue(raw, `the output of item "${at.key}"`));
      return record(p, at, { status: "succeeded", attempts, output, error: null, startedAt });
    } catch (thrown) {
      const error = toError(thrown);
      const message = p.redactor.text(error.message || error.name);
      p.line("stderr", `[item ${at.key}] attempt ${attempts} failed: ${message.split("\n")[0]}`);
      await p.checkpoints.flush(at.key);
      if (tries >= spec.retry.attempts || p.context.signal.aborted)
        return record(p, at, { status: "failed", attempts, output: null, error: { message }, startedAt });
      await delay(backoffMs(spec.retry, tries), p.context.signal);
    }
  }
}

function record(
  p: MapStepParams,
  at: { index: number; key: string },
  r: Pick<ItemRecord, "status" | "attempts" | "output" | "error" | "startedAt">,
): ItemRecord {
  return {
    runId: p.ref.runId,
    stepId: p.ref.stepId,
    key: at.key,
    index: at.index,
    ...r,
    finishedAt: p.clock(),
    fromRunId: null,
  };
}

/** Call the item handler under the item's timeout; the map step's abort reaches it through its signal. */
async function callItem(
  p: MapRun,
  spec: MapSpec,
  at: { item: Json; index: number; key: string },
  attempt: number,
): Promise<unknown> {
  const controller = new AbortController();
  if (p.context.signal.aborted) controller.abort(p.context.signal.reason);
  p.live.add(controller);
  let timer: NodeJS.Timeout | undefined;
  try {
    const done = Promise.resolve().then(() =>
      spec.handler(at.item as never, itemContext(p, at, attempt, controller.signal) as never),
    );
    if (spec.timeoutMs === null) return await done;
    const ms = spec.timeoutMs;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ItemTimeout(ms);
        controller.abort(error);
        reject(error);
      }, ms);
    });
    return await Promise.race([done, timedOut]);
  } finally {
    clearTimeout(timer);
    p.live.delete(controller);
  }
}

function itemContext(
  p: MapRun,
  at: { index: number; key: string },
  attempt: number,
  signal: AbortSignal,
): MapItemContext<Json, Record<string, Json>> {
  const c = p.context;
  const write =
    (stream: LogLine["stream"], level: string) =>
    (...args: unknown[]) =>
      p.line(stream, `[item ${at.key}] ${level}${format(...args)}`);
  const log: Logger = Object.assign(write("log", ""), {
    info: write("log", ""),
    warn: write("log", "warn: "),
    error: write("log", "error: "),
    stream: (s: "stdout" | "stderr", text: string) => write(s, "")(text),
  });
  return {
    input: c.input,
    needs: c.needs,
    item: { key: at.key, index: at.index, attempt },
    run: c.run,
    step: c.step,
    signal,
    log,
    idempotencyKey: `${c.run.id}:${c.step.id}:${at.key}`,
    secrets: c.secrets,
    epoch: c.epoch,
    memo: (key, fn) => p.memos.memo(at.key, key, fn),
    checkpoint: (state, options) => p.checkpoints.write(at.key, state, options?.force ?? false),
    lastCheckpoint: p.checkpoints.last(at.key),
  };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** How far a map step is: its items, and how many are recorded as succeeded and as failed. */
interface ItemProgress {
  total: number;
  succeeded: number;
  failed: number;
}

/** At most one `step.items` progress event per map step this often (and one when it ends). */
const PROGRESS_EVERY_MS = 1000;

/**
 * Writes settled items in batches: while one transaction is in flight, items that settle queue up
 * and go together in the next, so a map of 10,000 quick items costs a few hundred commits, not
 * 10,000. An item is durable once its batch committed; a crash before that runs it again.
 *
 * A batch's transaction also carries a `step.items` event with the map's counts at most once a
 * second, and the last write one more, so that followers (the CLI, the UI) see a map progress
 * without an event per item.
 */
class ItemWriter {
  #queue: ItemRecord[] = [];
  #running: Promise<void> | null = null;
  #failure: unknown;
  #lastEventAt: number;
  #unreported = false;

  constructor(
    private readonly p: MapStepParams,
    private readonly progress: ItemProgress,
  ) {
    this.#lastEventAt = p.clock();
  }

  add(item: ItemRecord): void {
    this.#queue.push(item);
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
  }

  async #drain(): Promise<void> {
    // Let the items settling in this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#queue.length > 0 && this.#failure === undefined) {
      const batch = this.#queue.splice(0, 500);
      for (const item of batch) this.progress[item.status]++;
      this.#unreported = true;
      await this.#write(batch, this.p.clock() - this.#lastEventAt >= PROGRESS_EVERY_MS);
    }
  }

  async #write(batch: readonly ItemRecord[], report: boolean): Promise<void> {
    try {
      const now = this.p.clock();
      const ok = await this.p.store.transaction(async (tx) => {
        if (!(await tx.recordItems(this.p.ref, batch))) return false;
        if (report)
          await tx.appendEvents([
            {
              runId: this.p.ref.runId,
              tenant: this.p.tenant,
              stepId: this.p.ref.stepId,
              type: "step.items",
              at: now,
              data: { ...this.progress },
            },
          ]);
        return true;
      });
      if (!ok) this.p.lost();
      if (report) {
        this.#lastEventAt = now;
        this.#unreported = false;
      }
    } catch (error) {
      this.#failure = error;
    }
  }

  /** Wait for every queued item to be written, report the final counts; throws what a write threw (a lost lease…). */
  async close(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#failure === undefined && this.#unreported) await this.#write([], true);
    if (this.#failure !== undefined)
      throw this.#failure instanceof CairnError ? this.#failure : toError(this.#failure);
  }
}

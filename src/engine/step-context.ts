import { format } from "node:util";
import type { Logger, RunVariables, StepContext } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { toJsonValue } from "../core/json-value.js";
import type { MapSpec } from "../core/map-spec.js";
import type { Redactor } from "../core/redact.js";
import { RESERVED_MEMO_PREFIX } from "../core/step-wait.js";
import type { Json, LogLine, RunRecord, StepWait } from "../core/types.js";
import type { FencedStepRef, Store } from "../store/store.js";
import { type ChildStarter, ChildWaits } from "./child-wait.js";
import { runMapStep } from "./map-step.js";
import { describeGroup } from "./process-groups.js";
import { SignalWaits } from "./signal-wait.js";
import { Sleeps } from "./sleep.js";

export interface ContextParams {
  readonly store: Store;
  readonly ref: FencedStepRef;
  /** The run as claimed (its tenant and driver go to the child runs its steps start). */
  readonly run: RunRecord;
  /** Starts child runs (`ctx.runWorkflow`); null where no worker can. */
  readonly children: ChildStarter | null;
  readonly tenant: string;
  readonly input: Json;
  readonly needs: Record<string, Json>;
  readonly inheritedVars: Record<string, Json>;
  readonly runAttempt: number;
  readonly stepAttempt: number;
  readonly workdir: string;
  readonly signal: AbortSignal;
  readonly secrets: Readonly<Record<string, string>>;
  readonly redactor: Redactor;
  readonly lastCheckpoint: Json | undefined;
  /** The step's recorded memos, read on the first `memo()` call: most steps never make one. */
  readonly loadMemos: () => Promise<ReadonlyMap<string, Json>>;
  readonly checkpointIntervalMs: number;
  /** Called when a fenced write finds the lease gone: the execution must stop. */
  readonly onLeaseLost: () => void;
  readonly clock: () => number;
}

/** The per-execution state behind a StepContext: buffered logs, own variables, pending checkpoint. */
export class ExecutionState {
  readonly logs: LogLine[] = [];
  readonly ownVars = new Map<string, Json>();
  pendingCheckpoint: Json | undefined;
  checkpointsWritten = 0;
  /** Set when the handler parked the step (a sleep not yet due): the outcome is then "waiting". */
  parked: StepWait | undefined;
  /** Memos that retire the failed child runs this execution found, written if its failure is retried. */
  readonly retiring: Array<{ key: string; value: Json }> = [];
  #lastCheckpointAt = Number.NEGATIVE_INFINITY;
  readonly #memoKeys = new Set<string>();
  #memos: Promise<ReadonlyMap<string, Json>> | undefined;
  readonly context: StepContext<Json, Record<string, Json>>;

  constructor(readonly p: ContextParams) {
    const log = this.#logger();
    const sleeps = new Sleeps({
      memo: (key, fn) => this.#memo(key, fn, true),
      clock: p.clock,
      park: (wait) => {
        this.parked = wait;
      },
    });
    const vars: RunVariables = {
      get: (name) => (this.ownVars.has(name) ? this.ownVars.get(name) : p.inheritedVars[name]),
      set: (name, value) => {
        this.ownVars.set(name, toJsonValue(value, `variable ${name}`));
      },
      all: () => ({ ...p.inheritedVars, ...Object.fromEntries(this.ownVars) }),
    };
    const signals = new SignalWaits({
      store: p.store,
      ref: p.ref,
      memo: (key, fn) => this.#memo(key, fn, true),
      recorded: () => {
        this.#memos ??= p.loadMemos();
        return this.#memos;
      },
      clock: p.clock,
      park: (wait) => {
        this.parked = wait;
      },
      line: (text) => this.line("log", text),
      onLeaseLost: () => this.#lost(),
    });
    const children = new ChildWaits({
      store: p.store,
      ref: p.ref,
      run: p.run,
      secrets: p.secrets,
      starter: p.children,
      recorded: () => {
        this.#memos ??= p.loadMemos();
        return this.#memos;
      },
      park: (wait) => {
        this.parked = wait;
      },
      retireOnRetry: (memo) => {
        this.retiring.push(memo);
      },
      onLeaseLost: () => this.#lost(),
    });
    const context: StepContext<Json, Record<string, Json>> = {
      input: p.input,
      needs: p.needs,
      run: { id: p.ref.runId, attempt: p.runAttempt, workdir: p.workdir },
      step: { id: p.ref.stepId, attempt: p.stepAttempt },
      signal: p.signal,
      log,
      checkpoint: (state, options) => this.#checkpoint(state, options?.force ?? false),
      lastCheckpoint: p.lastCheckpoint,
      memo: (key, fn) => this.#memo(key, fn),
      sleep: (duration) => sleeps.sleep(duration),
      sleepUntil: (until) => sleeps.sleepUntil(until),
      waitForSignal: (name, options) => signals.wait(name, options),
      runWorkflow: (workflowId, input) => children.run(workflowId, input),
      idempotencyKey: `${p.ref.runId}:${p.ref.stepId}`,
      vars,
      secrets: p.secrets,
      epoch: p.ref.epoch,
    };
    // For shell steps and map steps: not part of the public StepContext.
    const mapStep = {
      store: p.store,
      ref: p.ref,
      tenant: p.tenant,
      context,
      redactor: p.redactor,
      clock: p.clock,
      checkpointIntervalMs: p.checkpointIntervalMs,
    };
    this.context = Object.assign(context, {
      recordProcess: (pgid: number) => this.#recordProcess(pgid),
      runMap: (map: MapSpec) =>
        runMapStep(
          { ...mapStep, line: (stream, text) => this.line(stream, text), lost: () => this.#lost() },
          map,
        ),
    });
  }

  /** Add a line to the step's log (secrets masked). Lines are stored with the step's completion. */
  line(stream: LogLine["stream"], text: string): void {
    this.logs.push({
      runId: this.p.ref.runId,
      stepId: this.p.ref.stepId,
      attempt: this.p.stepAttempt,
      at: this.p.clock(),
      stream,
      line: this.p.redactor.text(text),
    });
  }

  /** Variables to store with the completion: inherited ones plus those set here. */
  completedVars(): Record<string, Json> | null {
    const all = { ...this.p.inheritedVars, ...Object.fromEntries(this.ownVars) };
    return Object.keys(all).length > 0 ? this.p.redactor.json(all) : null;
  }

  #logger(): Logger {
    const write =
      (level: string) =>
      (...args: unknown[]) =>
        this.line("log", `${level}${format(...args)}`);
    // `stream` lets shell steps keep stdout and stderr apart in the stored log.
    const stream = (s: "stdout" | "stderr", text: string) => this.line(s, text);
    return Object.assign(write(""), {
      info: write(""),
      warn: write("warn: "),
      error: write("error: "),
      stream,
    });
  }

  async #checkpoint(state: Json, force: boolean): Promise<void> {
    const value = this.p.redactor.json(toJsonValue(state, "checkpoint"));
    const now = this.p.clock();
    if (!force && now - this.#lastCheckpointAt < this.p.checkpointIntervalMs) {
      this.pendingCheckpoint = value;
      return;
    }
    this.#lastCheckpointAt = now;
    this.pendingCheckpoint = undefined;
    const ok = await this.p.store.transaction((tx) => tx.updateOwnedStep(this.p.ref, { checkpoint: value }));
    if (!ok) this.#lost();
    this.checkpointsWritten++;
  }

  /** Remember the process group a shell step just started, so that a later execution here ends it first. */
  async #recordProcess(pgid: number): Promise<void> {
    // "later": a crash of this process leaves the commit in the WAL; only a power loss could drop it,
    // and that ends the group too.
    const ok = await this.p.store.transaction((tx) => tx.recordStepProcess(this.p.ref, describeGroup(pgid)), {
      sync: "later",
    });
    if (!ok) this.#lost();
  }

  async #memo<T>(key: string, fn: () => T | Promise<T>, internal = false): Promise<T> {
    if (typeof key !== "string" || key.length === 0)
      throw new CairnError("INVALID_INPUT", "A memo key must be a non-empty string.");
    if (!internal && key.startsWith(RESERVED_MEMO_PREFIX))
      throw new CairnError(
        "INVALID_INPUT",
        `Memo keys starting with "${RESERVED_MEMO_PREFIX}" are Cairn's own.`,
      );
    if (this.#memoKeys.has(key))
      throw new CairnError(
        "INVALID_INPUT",
        `Memo key "${key}" is used twice in one execution of step "${this.p.ref.stepId}"; keys must be unique.`,
      );
    this.#memoKeys.add(key);
    this.#memos ??= this.p.loadMemos();
    const memos = await this.#memos;
    if (memos.has(key)) return memos.get(key) as T;
    const result = await fn();
    const value = this.p.redactor.json(toJsonValue(result, `memo "${key}"`));
    const ok = await this.p.store.transaction((tx) => tx.putMemo(this.p.ref, key, value));
    if (!ok) this.#lost();
    return result;
  }

  #lost(): never {
    this.p.onLeaseLost();
    throw new CairnError(
      "FENCED",
      `Step "${this.p.ref.stepId}" lost its lease to another worker; its writes are rejected.`,
    );
  }
}

import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import { isCairnError } from "../core/errors.js";
import type { RunRecord, StepRecord } from "../core/types.js";
import { type FencedStepRef, isStoreFailure, type Store, type StoreTx } from "../store/store.js";
import type { ActivityFeed } from "./activity.js";
import { type OutcomeTiming, reportClaims, reportOutcomes } from "./activity-report.js";
import type { ChildStarter } from "./child-wait.js";
import { DeadlineTimers, expireRun } from "./deadlines.js";
import { GroupCommitter } from "./group-commit.js";
import { Heartbeat, type Renewal } from "./heartbeat.js";
import { executionKey, type InFlight } from "./in-flight.js";
import type { LoadedWorkflow } from "./registry.js";
import type { RunDefinitions } from "./run-definitions.js";
import { type AbortCause, executeStep, handedBack, unrunnable } from "./step-runner.js";
import type { RunTracing } from "./tracing.js";
import { claimSteps, type OutcomeResult, recordOutcomes, type StepOutcome } from "./transitions.js";

export interface ExecutorOptions {
  readonly workerId: string;
  /** Steps executed at once by this executor. */
  readonly concurrency: number;
  /** How long a claimed step stays ours without a heartbeat. */
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  /** Fallback poll for work written by other processes. */
  readonly pollIntervalMs: number;
  readonly abortGraceMs: number;
  /** Restrict to these runs (a CLI `run` drives only its own); null: any run of a registered workflow. */
  readonly onlyRuns: Set<string> | null;
  readonly clock: () => number;
  /** Told about claims, completions and fenced writes (for metrics). */
  readonly activity?: ActivityFeed;
  /** Spans of step executions and settled runs, when tracing is on. */
  readonly tracing?: RunTracing | null;
  /** Starts the child runs steps ask for (`ctx.runWorkflow`). */
  readonly children?: ChildStarter | null;
}

export interface ExecutorEvents {
  settled: [RunRecord];
  /** An error while claiming, heartbeating, or recording a step (then its step): retried, and logged. */
  error: [unknown, StepRecord?];
  fatal: [unknown];
  /** A completion refused because the step's lease had moved to another claim (fenced). */
  rejected: [FencedStepRef, StepRecord?];
  /** A heartbeat found the step's lease taken over: its execution here is aborted. */
  "lease-lost": [StepRecord];
}

/**
 * Claims ready steps, executes them, records their outcomes through the group committer, and keeps
 * their leases alive. All state lives in the store: the executor holds only what is in flight.
 */
export class Executor extends EventEmitter<ExecutorEvents> {
  readonly #inFlight = new Map<string, InFlight>();
  readonly #committer: GroupCommitter<StepOutcome, OutcomeResult>;
  #pumping = false;
  #pumpAgain = false;
  /** The pump in progress (or the last one): `stop` waits for it. */
  #pumped: Promise<void> = Promise.resolve();
  /**
   * Ready work may be waiting that no claim took (a claim filled every free slot, a wake came while
   * full, a step was readied but not claimed, an outcome was not a success): the next step to leave
   * pumps. Otherwise a finished step does not: its successors were claimed with its completion, and
   * a claim per step (with the nextReadyAt that follows) doubled the cost of a sequential step.
   */
  #backlog = false;
  /**
   * The last pump found every slot taken and set no wake-up timer: the next step to leave pumps, or a
   * step parked until later (a retry's backoff, a sleep) would wait for an unrelated wake-up.
   */
  #noTimer = false;
  #stopped = false;
  #fatal = false;
  #wakeTimer: NodeJS.Timeout | undefined;
  /** The deadlines of the runs this executor has executed a step of. */
  readonly #deadlines: DeadlineTimers;
  readonly #heartbeat: Heartbeat;
  #idle: Array<() => void> = [];
  #unsubscribe: (() => void) | undefined;
  readonly #timings = new WeakMap<StepOutcome, OutcomeTiming>();
  /** Outcomes whose fenced write was refused (for their spans). */
  readonly #rejected = new WeakSet<StepOutcome>();

  constructor(
    private readonly store: Store,
    /** Each run's definition: a registered workflow, or the stored version the run records. */
    private readonly definitions: RunDefinitions,
    private readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>,
    private readonly options: ExecutorOptions,
  ) {
    super();
    this.#deadlines = new DeadlineTimers((runId) => void this.#expire(runId), options.clock);
    this.#committer = new GroupCommitter(
      (outcomes) => {
        // A retry becomes ready later and a failure may stop a run: a pump recomputes the next wake-up.
        if (outcomes.some((o) => o.kind !== "succeeded")) this.#backlog = true;
        // Not waiting for the sync: successors start while it runs. What acknowledges a commit (a
        // settled run) or must not run twice (a non-idempotent step) waits for store.flushed() below.
        return store.transaction((tx) => this.#record(tx, outcomes), { sync: "later" });
      },
      (result, outcomes) => this.#afterCommit(result, outcomes),
    );
    this.#heartbeat = new Heartbeat({
      store,
      worker: { id: options.workerId, startedAt: Date.now(), leaseMs: options.leaseMs },
      clock: options.clock,
      inFlight: () => this.#inFlight.values(),
      renewed: (renewal) => this.#renewed(renewal),
      error: (error) => this.emit("error", error),
    });
  }

  /**
   * Record finished steps and fill the slots they free, in one transaction: first with their
   * successors, then (when ready work is waiting) with any ready step. A fan-out's branches then
   * cost one commit per batch, not a completion commit plus a claim commit (41 → 17 commits for
   * 1 → 100 → 1 at concurrency 8).
   */
  async #record(tx: StoreTx, outcomes: StepOutcome[]): Promise<OutcomeResult> {
    // A stopping executor claims nothing, not even the successors of what it records: they are left
    // ready for other workers (the transaction that readies them wakes them).
    const limit = this.#stopped
      ? 0
      : Math.max(0, this.options.concurrency - this.#inFlight.size + outcomes.length);
    const claimFor = { workerId: this.options.workerId, leaseMs: this.options.leaseMs, limit };
    const result = await recordOutcomes(tx, outcomes, {
      workflow: (run) => this.definitions.known(run),
      claimFor,
    });
    const room = limit - result.claimed.length;
    if (room > 0 && (this.#backlog || result.readied) && !this.#stopped) {
      const more = await claimSteps(tx, this.#claimFilter(room), this.options.leaseMs, result.runs);
      result.claimed.push(...more);
      this.#backlog = more.length === room;
    }
    return result;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  async start(): Promise<void> {
    await this.#heartbeat.start(this.options.heartbeatMs);
    this.#unsubscribe = this.store.onWork?.(() => this.wake());
    this.wake();
  }

  /** Look for ready steps now (after a start, resume or anything that made steps ready). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumped = this.#pump();
  }

  /** Abort this executor's in-flight steps of a run (cancel, or a lost lease). */
  abortRun(runId: string, cause: AbortCause): void {
    for (const f of this.#inFlight.values()) if (f.step.runId === runId) f.controller.abort(cause);
  }

  /** Stop claiming; let in-flight steps finish (or abort them), then mark this worker stopped. */
  async stop(options: { abort?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#wakeTimer);
    this.#unsubscribe?.();
    // A claim in flight may still launch steps: wait for it, so they are counted (and waited for) below.
    await this.#pumped;
    if (options.abort)
      for (const f of this.#inFlight.values()) f.controller.abort("shutdown" satisfies AbortCause);
    if (this.#inFlight.size > 0 || this.#committer.pending > 0)
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    this.#deadlines.clearAll();
    await this.#heartbeat.stop(this.options.clock());
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        const free = this.options.concurrency - this.#inFlight.size;
        if (free <= 0) this.#backlog = true;
        if (free <= 0 || this.#stopped) break;
        const runs = new Map<string, RunRecord>();
        const claimed = await this.store.transaction(
          (tx) => claimSteps(tx, this.#claimFilter(free), this.options.leaseMs, runs),
          { sync: "later" },
        );
        this.#backlog = claimed.length === free;
        reportClaims(this.options.activity, claimed, runs);
        for (const step of claimed) this.#launch(step, runs.get(step.runId));
        if (claimed.length === free) this.#pumpAgain = true;
      } while (this.#pumpAgain);
      await this.#scheduleWake();
    } catch (error) {
      if (this.#failed(error)) return;
      this.emit("error", error);
      this.#wakeTimer = setTimeout(() => this.wake(), this.options.pollIntervalMs);
    } finally {
      this.#pumping = false;
    }
  }

  #claimFilter(limit: number) {
    return {
      workerId: this.options.workerId,
      limit,
      workflowIds: [...this.definitions.registered.keys()],
      storedVersions: true,
      ...(this.options.onlyRuns ? { runIds: [...this.options.onlyRuns] } : {}),
    };
  }

  async #scheduleWake(): Promise<void> {
    if (this.#stopped) return;
    clearTimeout(this.#wakeTimer);
    // Full: the next step to finish wakes the pump. A timer now would spin while ready steps wait.
    this.#noTimer = this.#inFlight.size >= this.options.concurrency;
    if (this.#noTimer) return;
    const { limit: _limit, ...filter } = this.#claimFilter(1);
    const next = await this.store.read((tx) => tx.nextReadyAt(filter));
    const delay = next === null ? this.options.pollIntervalMs : Math.max(0, next - this.options.clock());
    this.#wakeTimer = setTimeout(() => this.wake(), Math.min(delay, this.options.pollIntervalMs));
    this.#wakeTimer.unref();
  }

  /** `run`: the step's run as read in the transaction that claimed it, when the caller has it. */
  #launch(step: StepRecord, run?: RunRecord): void {
    const key = executionKey(step.runId, step.stepId, step.leaseEpoch);
    const controller = new AbortController();
    const entry: InFlight = { step, controller, leaseUntil: this.options.clock() + this.options.leaseMs };
    this.#inFlight.set(key, entry);
    void this.#execute(entry, run)
      .catch((error: unknown) => this.emit("error", error, step))
      .finally(() => {
        this.#inFlight.delete(key);
        if (this.#inFlight.size === 0 && this.#committer.pending === 0)
          for (const resolve of this.#idle.splice(0)) resolve();
        if (this.#backlog || this.#noTimer) this.wake();
      });
  }

  async #execute(entry: InFlight, claimedWith?: RunRecord): Promise<void> {
    const { step, controller } = entry;
    const startedAt = performance.now();
    const run = claimedWith ?? (await this.store.getRun(step.runId));
    if (!run) return;
    let workflow: LoadedWorkflow | undefined;
    try {
      workflow = await this.definitions.ofRun(this.store, run);
    } catch (error) {
      // A stored version this process cannot run (an action it has not registered, the version gone):
      // the step fails with the sentence that says why, instead of the worker retrying it forever.
      if (!isCairnError(error)) throw error;
      await this.#commit(unrunnable(step, error), step, controller);
      return;
    }
    if (!workflow) return;
    this.#deadlines.arm(run);
    // A step that must not run twice starts only once its claim is on disk: after a power loss it is
    // then found running and left to a person, never silently started again.
    if (workflow.steps.get(step.stepId)?.effects === "non-idempotent") await this.store.flushed();
    const span = this.options.tracing?.startStep(run, step, this.options.workerId);
    let outcome: StepOutcome | undefined;
    try {
      const execute = () =>
        executeStep({
          store: this.store,
          workflow,
          run,
          step,
          secrets: this.secrets.get(run.id) ?? {},
          controller,
          abortGraceMs: this.options.abortGraceMs,
          clock: this.options.clock,
          children: this.options.children ?? null,
          onLogBuffer: (logs) => {
            entry.logs = logs;
          },
        });
      const executed = await (span ? span.within(execute) : execute());
      outcome = controller.signal.reason === "lease-expired" ? handedBack(executed, step) : executed;
      this.#timings.set(outcome, { workflowId: run.workflowId, durationMs: performance.now() - startedAt });
      await this.#commit(outcome, step, controller);
    } finally {
      span?.end(outcome, outcome !== undefined && this.#rejected.has(outcome));
    }
  }

  /**
   * Record an outcome. A commit that fails (database restarting, busy) is retried while we may still
   * hold the lease; if the lease moves on meanwhile, the fenced write is rejected and the new owner's
   * result stands.
   */
  async #commit(outcome: StepOutcome, step: StepRecord, controller: AbortController): Promise<void> {
    for (let delay = 50; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.#committer.submit(outcome);
        return;
      } catch (error) {
        if (this.#failed(error)) return;
        this.emit("error", error, step);
        if (this.#stopped && controller.signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * A store that refuses writes for good (a failed fdatasync): stop claiming, drop the outcome (the step
   * stays running in the store, for recovery after a restart) and report it once, as fatal.
   */
  #failed(error: unknown): boolean {
    if (!isStoreFailure(error)) return false;
    if (!this.#fatal) {
      this.#fatal = true;
      this.#stopped = true;
      clearTimeout(this.#wakeTimer);
      this.emit("fatal", error);
    }
    return true;
  }

  #afterCommit(result: OutcomeResult, outcomes: readonly StepOutcome[]): void {
    reportOutcomes(this.options.activity, result, outcomes, this.#timings);
    if (this.options.tracing)
      for (const ref of result.rejected) {
        const o = outcomes.find((x) => x.ref.runId === ref.runId && x.ref.stepId === ref.stepId);
        if (o) this.#rejected.add(o);
      }
    reportClaims(this.options.activity, result.claimed, result.runs);
    for (const step of result.claimed) this.#launch(step, result.runs.get(step.runId));
    // Emitted at commit, so that the bookkeeping of a finished run (its secrets, among them) is done
    // before anyone can act on it (a resume brings new secrets). Waiters wake here and report the run
    // only once it is on disk (Cairn.wait awaits store.flushed()).
    for (const run of result.settled) this.#settled(run);
    for (const ref of result.rejected)
      this.emit("rejected", ref, this.#inFlight.get(executionKey(ref.runId, ref.stepId, ref.epoch))?.step);
    if (result.rejected.length > 0) this.#backlog = true;
    if (result.readied) this.wake();
  }

  #settled(run: RunRecord): void {
    this.#deadlines.clear(run.id);
    this.options.tracing?.runSettled(run);
    this.emit("settled", run);
  }

  /** The deadline passed: fail the run and abort its steps in flight here (their process groups too). */
  async #expire(runId: string): Promise<void> {
    try {
      const run = await this.store.transaction((tx) => expireRun(tx, runId));
      if (!run) return;
      this.abortRun(runId, "deadline");
      await this.store.flushed();
      this.#settled(run);
    } catch (error) {
      if (!this.#failed(error)) this.emit("error", error);
    }
  }

  /** Act on what a heartbeat found: abort the executions it lost, and those of cancelled and expired runs. */
  #renewed({ lost, cancelled, expired }: Renewal): void {
    // By claim: when an old claim of a step is lost, a newer execution of the same step stays. An
    // execution that finished while the heartbeat ran (its completion committed first, so the step
    // was no longer running) lost nothing: its completion, or its rejection, says what happened.
    for (const step of lost) {
      const execution = this.#inFlight.get(executionKey(step.runId, step.stepId, step.leaseEpoch));
      if (!execution) continue;
      this.emit("lease-lost", step);
      this.options.activity?.emit({ kind: "fenced", write: "heartbeat" });
      execution.controller.abort("lease-lost");
    }
    for (const runId of cancelled) this.abortRun(runId, "cancelled");
    for (const [runId, run] of expired) {
      this.abortRun(runId, "deadline");
      if (run) this.#settled(run);
    }
  }
}

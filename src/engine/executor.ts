import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import type { LogLine, RunRecord, StepRecord } from "../core/types.js";
import { type FencedStepRef, isStoreFailure, type Store, type StoreTx } from "../store/store.js";
import type { ActivityFeed } from "./activity.js";
import { DeadlineTimers, expireRun, pastDeadline } from "./deadlines.js";
import { GroupCommitter } from "./group-commit.js";
import { describeThisProcess } from "./owner.js";
import type { LoadedWorkflow } from "./registry.js";
import { type AbortCause, executeStep } from "./step-runner.js";
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
}

/**
 * An execution is known by its claim (run, step and lease epoch), never by run and step alone: this
 * worker may claim a step again (its old lease expired and was recovered) while the old execution is
 * still winding down, and losing the old claim must touch only the old execution.
 */
function executionKey(step: StepRecord): string {
  return `${step.runId}/${step.stepId}#${step.leaseEpoch}`;
}

interface InFlight {
  readonly step: StepRecord;
  readonly controller: AbortController;
  /** Until when (this process's clock) the lease is known to be ours: the last renewal's start + lease. */
  leaseUntil: number;
  /** The execution's buffered log lines; each heartbeat stores and removes them (the rest go with the completion). */
  logs?: LogLine[];
}

/**
 * Claims ready steps, executes them, records their outcomes through the group committer, and keeps
 * their leases alive. All state lives in the store: the executor holds only what is in flight.
 */
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
  #heartbeatTimer: NodeJS.Timeout | undefined;
  /** The deadlines of the runs this executor has executed a step of. */
  readonly #deadlines: DeadlineTimers;
  /** Heartbeat transactions still under way, and whether the last one failed. */
  readonly #renewals = { pending: 0, failed: false };
  #idle: Array<() => void> = [];
  #unsubscribe: (() => void) | undefined;
  readonly #startedAt = Date.now();
  /** Which workflow each outcome belongs to and how long it took, until its commit is told. */
  readonly #timings = new WeakMap<StepOutcome, { workflowId: string; durationMs: number }>();

  constructor(
    private readonly store: Store,
    private readonly workflows: ReadonlyMap<string, LoadedWorkflow>,
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
    const result = await recordOutcomes(tx, outcomes, { workflow: (id) => this.workflows.get(id), claimFor });
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
    await this.#touchWorker(null);
    this.#heartbeatTimer = setInterval(() => void this.#heartbeat(), this.options.heartbeatMs);
    this.#heartbeatTimer.unref();
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
    clearInterval(this.#heartbeatTimer);
    this.#deadlines.clearAll();
    await this.#touchWorker(this.options.clock());
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
        this.#tellClaims(claimed, runs);
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
      workflowIds: [...this.workflows.keys()],
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
    const key = executionKey(step);
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
    const workflow = run && this.workflows.get(run.workflowId);
    if (!run || !workflow) return;
    this.#deadlines.arm(run);
    // A step that must not run twice starts only once its claim is on disk: after a power loss it is
    // then found running and left to a person, never silently started again.
    if (workflow.steps.get(step.stepId)?.effects === "non-idempotent") await this.store.flushed();
    const executed = await executeStep({
      store: this.store,
      workflow,
      run,
      step,
      secrets: this.secrets.get(run.id) ?? {},
      controller,
      abortGraceMs: this.options.abortGraceMs,
      clock: this.options.clock,
      onLogBuffer: (logs) => {
        entry.logs = logs;
      },
    });
    // Given up because the lease could not be renewed: the step is handed back, not failed, and
    // another execution (here or elsewhere) runs it; a fenced write keeps a taker's claim intact.
    const outcome: StepOutcome =
      controller.signal.reason === "lease-expired"
        ? {
            ...executed,
            kind: "released",
            release: {
              attempts: Math.max(step.attemptBase, step.attempts - 1),
              recoveries: step.recoveries + 1,
              reason: "its worker could not renew the lease (database unreachable)",
            },
          }
        : executed;
    this.#timings.set(outcome, { workflowId: run.workflowId, durationMs: performance.now() - startedAt });
    // A commit that fails (database restarting, busy) is retried while we may still hold the lease;
    // if the lease moves on meanwhile, the fenced write is rejected and the new owner's result stands.
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
    this.#tellOutcomes(result, outcomes);
    this.#tellClaims(result.claimed, result.runs);
    for (const step of result.claimed) this.#launch(step, result.runs.get(step.runId));
    // Emitted at commit, so that the bookkeeping of a finished run (its secrets, among them) is done
    // before anyone can act on it (a resume brings new secrets). Waiters wake here and report the run
    // only once it is on disk (Cairn.wait awaits store.flushed()).
    for (const run of result.settled) this.#settled(run);
    for (const ref of result.rejected)
      this.emit("rejected", ref, this.#inFlight.get(`${ref.runId}/${ref.stepId}#${ref.epoch}`)?.step);
    if (result.rejected.length > 0) this.#backlog = true;
    if (result.readied) this.wake();
  }

  #settled(run: RunRecord): void {
    this.#deadlines.clear(run.id);
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

  #tellClaims(claimed: readonly StepRecord[], runs: ReadonlyMap<string, RunRecord>): void {
    const { activity } = this.options;
    if (!activity || claimed.length === 0) return;
    const byWorkflow = new Map<string, number>();
    for (const step of claimed) {
      const workflowId = runs.get(step.runId)?.workflowId ?? "";
      byWorkflow.set(workflowId, (byWorkflow.get(workflowId) ?? 0) + 1);
    }
    for (const [workflowId, count] of byWorkflow) activity.emit({ kind: "claimed", workflowId, count });
  }

  #tellOutcomes(result: OutcomeResult, outcomes: readonly StepOutcome[]): void {
    const { activity } = this.options;
    if (!activity) return;
    const rejected = new Set(result.rejected);
    for (const outcome of outcomes) {
      if (rejected.has(outcome.ref)) {
        activity.emit({ kind: "fenced", write: "outcome" });
        continue;
      }
      const timing = this.#timings.get(outcome);
      // A step handed back (its lease could not be renewed) or parked (a sleep, a signal) did not
      // complete: it runs again.
      if (!timing || outcome.kind === "released" || outcome.kind === "waiting") continue;
      const kind = outcome.kind === "failed" && outcome.retryAt != null ? "retrying" : outcome.kind;
      activity.emit({ kind: "completed", ...timing, stepId: outcome.ref.stepId, outcome: kind });
    }
  }

  async #touchWorker(stoppedAt: number | null): Promise<void> {
    await this.store.transaction(async (tx) =>
      tx.upsertWorker({
        id: this.options.workerId,
        ...describeThisProcess(),
        startedAt: this.#startedAt,
        // The store's clock, like every heartbeat: other machines judge this worker against it.
        heartbeatAt: await tx.now(),
        leaseMs: this.options.leaseMs,
        stoppedAt,
      }),
    );
  }

  /**
   * Extend the leases of in-flight steps; abort those whose lease moved on or whose run was cancelled,
   * and those whose lease ran out without a renewal (the store was unreachable for a whole lease):
   * another worker may be taking them over, so their processes end now rather than overlap it.
   * The log lines steps wrote since the last heartbeat are stored with it (under the same fenced
   * ownership check), so `cairn logs --follow` and `cairn run --follow-logs` see a long step's output
   * about once a second rather than only when it finishes.
   */
  async #heartbeat(): Promise<void> {
    const startedAt = this.options.clock();
    // Only while renewals are failing or hanging: a process whose event loop was merely blocked past
    // the lease (a CPU-bound step) tries to renew first, and keeps its steps if nobody took them.
    if (this.#renewals.pending > 0 || this.#renewals.failed)
      for (const f of this.#inFlight.values())
        if (f.leaseUntil <= startedAt && !f.controller.signal.aborted)
          f.controller.abort("lease-expired" satisfies AbortCause);
    // One renewal at a time: renewals piled up behind an unreachable store would, once it answers,
    // keep the executions launched meanwhile waiting for theirs.
    if (this.#renewals.pending > 0) return;
    const inFlight = [...this.#inFlight.values()];
    this.#renewals.pending++;
    const lines = inFlight.map((f) => f.logs?.splice(0) ?? []);
    try {
      const { lost, cancelled, expired } = await this.store.transaction(async (tx) => {
        const now = await tx.now();
        await tx.upsertWorker({
          id: this.options.workerId,
          ...describeThisProcess(),
          startedAt: this.#startedAt,
          heartbeatAt: now,
          leaseMs: this.options.leaseMs,
          stoppedAt: null,
        });
        const lostSteps: StepRecord[] = [];
        const cancelledRuns = new Set<string>();
        const expiredRuns = new Map<string, RunRecord | null>();
        // Runs first, in id order, then their steps: the order every transaction locks them in
        // (PostgreSQL locks a run row read in a write transaction), so a heartbeat never deadlocks.
        for (const runId of [...new Set(inFlight.map((f) => f.step.runId))].sort()) {
          const run = await tx.getRun(runId);
          if (run?.status === "cancelled") cancelledRuns.add(runId);
          // Past its deadline: failed here, or already by another process (then only aborted here).
          else if (run && pastDeadline(run, now)) expiredRuns.set(runId, await expireRun(tx, runId));
        }
        for (const [i, { step }] of inFlight.entries()) {
          const ref = {
            runId: step.runId,
            stepId: step.stepId,
            epoch: step.leaseEpoch,
            owner: step.leaseOwner,
          };
          if (!(await tx.updateOwnedStep(ref, { leaseExpiresAt: now + this.options.leaseMs })))
            lostSteps.push(step);
          else if (lines[i]!.length > 0) await tx.appendLogs(lines[i]!);
        }
        return { lost: lostSteps, cancelled: cancelledRuns, expired: expiredRuns };
      });
      for (const f of inFlight) f.leaseUntil = Math.max(f.leaseUntil, startedAt + this.options.leaseMs);
      // By claim: when an old claim of a step is lost, a newer execution of the same step stays.
      for (const step of lost) {
        this.emit("lease-lost", step);
        this.#inFlight.get(executionKey(step))?.controller.abort("lease-lost");
      }
      for (const _ of lost) this.options.activity?.emit({ kind: "fenced", write: "heartbeat" });
      for (const runId of cancelled) this.abortRun(runId, "cancelled");
      this.#renewals.failed = false;
      for (const [runId, run] of expired) {
        this.abortRun(runId, "deadline");
        if (run) this.#settled(run);
      }
    } catch (error) {
      this.#renewals.failed = true;
      // Not stored: give the lines back, ahead of any written since, for the next heartbeat or the completion.
      for (const [i, f] of inFlight.entries()) f.logs?.unshift(...lines[i]!);
      this.emit("error", error);
    } finally {
      this.#renewals.pending--;
    }
  }
}

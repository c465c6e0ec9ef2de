import { CairnError } from "../core/errors.js";
import type { CairnLogger } from "../core/logger.js";
import { ActivityFeed } from "./activity.js";
import { type ResolvedOptions, resolveOptions, type WorkerOptions } from "./cairn-options.js";
import type { CairnClient } from "./client.js";
import { type AttachedWorker, type ClientState, stateOf } from "./client-state.js";
import { releaseDrivenRuns } from "./control.js";
import { Executor } from "./executor.js";
import { newId } from "./ids.js";
import { logExecutor, logRecovery } from "./log-events.js";
import { withAttemptSpans } from "./open-tracing.js";
import { type RecoveryReport, recoverOrphans } from "./recovery.js";
import { Scheduler } from "./scheduler.js";
import { workflowById } from "./workflow-lookup.js";

/**
 * Executes the ready steps of the workflows registered on its client, recovers runs whose owner died
 * (on registration and every `recoveryIntervalMs`), and on close drains or aborts what it runs. Run
 * it beside a client in one process (`Cairn.open` does), or alone in worker processes while servers
 * and CLIs use clients elsewhere.
 *
 * @example
 * const client = await CairnClient.open({ db: "postgres://cairn@db/cairn" });
 * await client.register(report);
 * const worker = await CairnWorker.start(client, { concurrency: 16 });
 * // … on SIGTERM:
 * await client.close();   // closes the worker first: steps in flight finish
 */
export class CairnWorker implements AttachedWorker {
  readonly workerId = newId("w");
  /** This worker's claims, completions, fenced writes and recoveries, as they happen (for metrics). */
  readonly activity: ActivityFeed;
  readonly #state: ClientState;
  readonly #options: Readonly<ResolvedOptions>;
  readonly #executor: Executor;
  /** Starts the registered workflows' scheduled runs (null with `schedules: false`). */
  readonly #scheduler: Scheduler | null;
  #recoveryTimer: NodeJS.Timeout | undefined;
  #closing = false;

  private constructor(state: ClientState, options: Readonly<ResolvedOptions>, activity: ActivityFeed) {
    this.#state = state;
    this.#options = options;
    this.activity = activity;
    this.#executor = new Executor(state.store, state.definitions, state.secrets, {
      workerId: this.workerId,
      concurrency: options.concurrency,
      leaseMs: options.leaseMs,
      heartbeatMs: options.heartbeatMs,
      pollIntervalMs: options.pollIntervalMs,
      abortGraceMs: options.abortGraceMs,
      onlyRuns: options.onlyOwnRuns ? state.ownRuns : null,
      clock: options.clock,
      activity,
      tracing: state.tracing,
      children: {
        workflow: (id, tenant) => workflowById(state, id, { tenant }),
        adopt: (caller, runId, secrets) => {
          if (Object.keys(secrets).length > 0) state.secrets.set(runId, secrets);
          if (state.ownRuns.has(caller)) state.ownRuns.add(runId);
        },
        started: () => this.#executor.wake(),
      },
    });
    this.#executor.on("settled", (run) => {
      // A finished run needs neither: a resume adds them again. A long-lived process must not grow
      // with every run it has finished.
      state.ownRuns.delete(run.id);
      state.secrets.delete(run.id);
      state.wakeUps.notify(run.id);
      // The child's end made its caller's step due (engine/child-runs.ts): look for it now.
      if (run.callerRunId) this.#executor.wake();
    });
    // The store refuses writes: every waiter gets the error instead of waiting for a run that cannot move.
    this.#executor.on("fatal", (error) => state.wakeUps.fail(error));
    logExecutor(this.#executor, state.logger);
    this.#scheduler = options.schedules
      ? new Scheduler({
          store: state.store,
          workflows: state.workflows,
          logger: state.logger,
          onStarted: () => this.#executor.wake(),
        })
      : null;
  }

  /**
   * Attach a worker to a client and start executing; the client's `close()` closes it too. Options the
   * worker does not set are the client's. `activity`: where it tells what it does (`Cairn` passes its own).
   */
  static async start(
    client: CairnClient,
    options: WorkerOptions = {},
    activity = new ActivityFeed(),
  ): Promise<CairnWorker> {
    const state = stateOf(client);
    if (state.closed) throw new CairnError("CONFLICT", "The client is closed.");
    if (state.worker) throw new CairnError("CONFLICT", "This client already has a worker.");
    // A worker that executes only its own runs (a foreground `cairn run`) starts no scheduled ones.
    const ownOnly = options.onlyOwnRuns === true && options.schedules === undefined;
    const merged = { ...state.options, ...options, ...(ownOnly ? { schedules: false } : {}) };
    const worker = new CairnWorker(state, resolveOptions(merged), activity);
    state.worker = worker;
    await worker.#executor.start();
    worker.#scheduler?.start();
    if (worker.#options.recover) {
      worker.#recoveryTimer = setInterval(
        () =>
          void worker
            .recover()
            .catch((error: unknown) => state.logger.error({ err: error }, "recovery failed; retrying")),
        worker.#options.recoveryIntervalMs,
      );
      worker.#recoveryTimer.unref();
    }
    return worker;
  }

  get logger(): CairnLogger {
    return this.#state.logger;
  }

  executing(): boolean {
    return !this.#closing;
  }

  /** Look for ready work now (a run was started or resumed in this process). */
  wake(): void {
    this.#executor.wake();
  }

  async workflowRegistered(): Promise<void> {
    if (this.#options.recover) await this.recover();
    this.#executor.wake();
    this.#scheduler?.wake();
  }

  abortRun(runId: string, reason: "cancelled"): void {
    this.#executor.abortRun(runId, reason);
  }

  /** Apply recovery policies to runs of registered workflows whose owner died. */
  async recover(): Promise<RecoveryReport> {
    const report = await recoverRuns(this.#state, this.activity);
    if (report.recovered.length > 0) this.#executor.wake();
    return report;
  }

  /**
   * Stop executing (waiting for steps in flight, or aborting them with `abort`). Runs this worker
   * drove and did not finish become `interrupted`, with `reason` when given. The store stays open.
   */
  async close(options: { abort?: boolean; reason?: string } = {}): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#recoveryTimer);
    try {
      await this.#scheduler?.stop();
      await this.#executor.stop(options);
      await this.#state.store.transaction((tx) =>
        releaseDrivenRuns(tx, this.workerId, this.#options.clock(), options.reason),
      );
    } finally {
      if (this.#state.worker === this) this.#state.worker = null;
    }
  }
}

/** One recovery pass over the runs of the workflows registered on a client; told to `activity`. */
export async function recoverRuns(state: ClientState, activity: ActivityFeed): Promise<RecoveryReport> {
  const report = await withAttemptSpans(state.tracing, (spans) =>
    state.store.transaction((tx) =>
      recoverOrphans(tx, {
        workflows: state.workflows,
        definitions: state.definitions,
        onlyRegistered: true,
        spans,
      }),
    ),
  );
  logRecovery(report, state.logger);
  const { recovered, interrupted } = report;
  if (recovered.length + interrupted.length > 0)
    activity.emit({ kind: "recovered", recovered: recovered.length, interrupted: interrupted.length });
  for (const r of interrupted) state.wakeUps.notify(r.runId);
  return report;
}

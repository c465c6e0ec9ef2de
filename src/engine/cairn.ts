import fs from "node:fs";
import path from "node:path";
import { toDefinition, type WorkflowLike } from "../core/builder.js";
import { validateInput } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { toJsonValue } from "../core/json-value.js";
import type { CairnLogger } from "../core/logger.js";
import type { ResumeOptions, ResumePlan } from "../core/resume-plan.js";
import type { CairnEvent, LogLine, RunAttemptRecord, RunRecord, WorkflowRecord } from "../core/types.js";
import { loadOneWorkflow } from "../loader/load-workflow-file.js";
import { openStore } from "../store/open-store.js";
import { isCommittedUnsynced, type RunFilter, type Store } from "../store/store.js";
import { type CairnOptions, type ResolvedOptions, resolveOptions } from "./cairn-options.js";

export type { CairnOptions };

import { ActivityFeed } from "./activity.js";
import { cancelRun, pauseRun, releaseDrivenRuns } from "./control.js";
import { insertRun } from "./create-run.js";
import { parseRunTimeout } from "./deadlines.js";
import { Executor } from "./executor.js";
import { newId } from "./ids.js";
import { latestFailed } from "./latest-failed.js";
import {
  copyWorkdir,
  planRerun,
  type RerunOptions,
  type RerunSelection,
  rerunRun,
  restartRun,
} from "./lineage.js";
import { logExecutor, logRecovery } from "./log-events.js";
import { type RecoveryReport, recoverOrphans } from "./recovery.js";
import { type LoadedWorkflow, loadWorkflow, toWorkflowRecord } from "./registry.js";
import { planResume, resumeRun } from "./resume.js";
import { definitionFile } from "./run-source.js";
import { type RunView, viewHistory, viewRun } from "./run-view.js";
import { type SignalReceipt, sendSignal } from "./signals.js";
import { WakeUps } from "./wake-ups.js";

/** What start, resume, restart and rerun return: the run id and a way to wait for it. */
export interface RunHandle {
  readonly id: string;
  readonly run: RunRecord;
  /** Resolves when the run is no longer running (succeeded, failed, cancelled, paused or interrupted). */
  result(): Promise<RunRecord>;
}

export interface StartOptions {
  runId?: string;
  secrets?: Record<string, string>;
  actor?: string;
  /** Only record the run; let any worker execute it. */
  detach?: boolean;
  /** Tenant of the new run (the API passes the token's). Default: this instance's tenant. */
  tenant?: string;
  /** The run's deadline ("30m", or milliseconds); default: the workflow's `timeout`. */
  timeout?: number | string;
}

/**
 * Durable workflow runs. Open one per store; register workflows; start, inspect, resume, restart,
 * rerun, cancel and pause runs.
 *
 * @example
 * const cairn = await Cairn.open({ db: ".cairn/cairn.db" });
 * const handle = await cairn.start(report, { topic: "tides" });
 * const run = await handle.result();   // run.status === "succeeded", run.output
 * await cairn.close();
 */
export class Cairn {
  readonly store: Store;
  readonly workerId = newId("w");
  /** This process's claims, completions, fenced writes and recoveries, as they happen (for metrics). */
  readonly activity = new ActivityFeed();
  readonly #options: ResolvedOptions;
  readonly #ownsStore: boolean;
  readonly #workflows = new Map<string, LoadedWorkflow>();
  readonly #secrets = new Map<string, Readonly<Record<string, string>>>();
  readonly #ownRuns = new Set<string>();
  readonly #executor: Executor | null;
  readonly #wakeUps: WakeUps;
  #recoveryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(store: Store, ownsStore: boolean, options: ResolvedOptions) {
    this.store = store;
    this.#ownsStore = ownsStore;
    this.#options = options;
    this.#wakeUps = new WakeUps(options.pollIntervalMs);
    this.#executor = options.execute
      ? new Executor(store, this.#workflows, this.#secrets, {
          workerId: this.workerId,
          concurrency: options.concurrency,
          leaseMs: options.leaseMs,
          heartbeatMs: options.heartbeatMs,
          pollIntervalMs: options.pollIntervalMs,
          abortGraceMs: options.abortGraceMs,
          onlyRuns: options.onlyOwnRuns ? this.#ownRuns : null,
          clock: options.clock,
          activity: this.activity,
        })
      : null;
    this.#executor?.on("settled", (run) => {
      // A finished run needs neither: a resume adds them again. A long-lived process must not grow
      // with every run it has finished.
      this.#ownRuns.delete(run.id);
      this.#secrets.delete(run.id);
      this.#wakeUps.notify(run.id);
    });
    // The store refuses writes: every waiter gets the error instead of waiting for a run that cannot move.
    this.#executor?.on("fatal", (error) => this.#wakeUps.fail(error));
    if (this.#executor) logExecutor(this.#executor, this.logger);
  }

  /** Where this instance logs (the `logger` option). */
  get logger(): CairnLogger {
    return this.#options.logger;
  }

  static async open(options: CairnOptions = {}): Promise<Cairn> {
    const resolved = resolveOptions(options);
    const owns = typeof options.db !== "object";
    const store =
      typeof options.db === "object"
        ? options.db
        : await openStore(options.db, {
            ...(options.durability ? { durability: options.durability } : {}),
            logger: resolved.logger,
          });
    const cairn = new Cairn(store, owns, resolved);
    await cairn.#executor?.start();
    if (resolved.execute && resolved.recover) {
      cairn.#recoveryTimer = setInterval(
        () =>
          void cairn
            .recover()
            .catch((error: unknown) => resolved.logger.error({ err: error }, "recovery failed; retrying")),
        resolved.recoveryIntervalMs,
      );
      cairn.#recoveryTimer.unref();
    }
    return cairn;
  }

  /** Validate and register a workflow so this instance can start and execute its runs. */
  async register(workflow: WorkflowLike): Promise<LoadedWorkflow> {
    const loaded = loadWorkflow(toDefinition(workflow));
    this.#workflows.set(loaded.definition.id, loaded);
    const record = await toWorkflowRecord(loaded, this.#options.clock());
    await this.store.transaction((tx) => tx.upsertWorkflow(record));
    if (this.#executor && this.#options.recover) await this.recover();
    this.#executor?.wake();
    return loaded;
  }

  /** Start a run. With an existing `runId`, returns that run instead of starting a second one. */
  async start(
    workflow: WorkflowLike | string,
    input: unknown = {},
    options: StartOptions = {},
  ): Promise<RunHandle> {
    const loaded =
      typeof workflow === "string"
        ? await this.#workflowById(workflow)
        : await this.#ensureRegistered(workflow);
    const definition = loaded.definition;
    const runId = options.runId ?? newId("run");
    if (options.runId !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(runId))
      throw new CairnError(
        "INVALID_INPUT",
        `Run id "${runId}" may only contain letters, digits, "_", "." and "-" (at most 128).`,
      );
    const tenant = options.tenant ?? this.#options.tenant;
    const existing = await this.store.getRun(runId);
    if (existing) {
      // Found, but perhaps committed by this process a moment ago and not yet on disk.
      await this.store.flushed();
      return this.#handle(sameRun(existing, tenant, definition.id));
    }
    const value = await validateInput(definition, input);
    const timeoutMs = parseRunTimeout(options.timeout);
    this.#checkSecrets(definition.secrets, options.secrets, `Workflow "${definition.id}"`);
    const workdir = this.#workdir(runId);
    fs.mkdirSync(workdir, { recursive: true });
    if (options.secrets) this.#secrets.set(runId, { ...options.secrets });
    // A detached run is left to other workers, even when this instance executes only its own runs.
    if (!options.detach) this.#ownRuns.add(runId);
    let inserted: { run: RunRecord; created: boolean };
    try {
      inserted = await this.store.transaction((tx) =>
        insertRun(tx, {
          runId,
          workflow: loaded,
          input: value,
          tenant,
          workdir,
          origin: "start",
          parent: null,
          driverId: this.#driver(options.detach),
          trigger: this.#options.trigger,
          actor: options.actor ?? null,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        }),
      );
    } catch (error) {
      if (isCommittedUnsynced(error)) throw error;
      // Nothing half-made is left behind: no directory, no in-memory secrets for a run that does not exist.
      fs.rmSync(workdir, { recursive: true, force: true });
      this.#ownRuns.delete(runId);
      this.#secrets.delete(runId);
      throw error;
    }
    // Another start with the same id may have won the race between the check above and the insert.
    const run = inserted.created ? inserted.run : sameRun(inserted.run, tenant, definition.id);
    this.#executor?.wake();
    return this.#handle(run);
  }

  /** The run with its steps; a running run whose owner died is reported as interrupted. */
  async get(runId: string): Promise<RunView | undefined> {
    const run = await this.store.getRun(runId);
    const view = run && (await viewRun(this.store, runId, this.#workflows.get(run.workflowId)));
    // Reported once what was read is on disk (read first: a commit made after a sync is not covered by it).
    await this.store.flushed();
    return view;
  }

  list(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.store.listRuns(filter);
  }

  events(runId: string, afterSeq = 0): Promise<CairnEvent[]> {
    return this.store.readEvents({ runId, afterSeq, limit: 100_000 });
  }

  logs(runId: string, stepId?: string): Promise<LogLine[]> {
    return this.store.readLogs(runId, stepId);
  }

  /** The run's attempts (its start and each resume), each with its outcome once it ended. */
  async history(runId: string): Promise<RunAttemptRecord[]> {
    const run = await this.store.getRun(runId);
    return viewHistory(this.store, runId, run && this.#workflows.get(run.workflowId));
  }

  /** What resume would do with every step, and why; changes nothing. */
  async resumePlan(
    runId: string,
    options: ResumeOptions & { secrets?: Record<string, string> } = {},
  ): Promise<ResumePlan> {
    const workflow = await this.#workflowOfRun(runId);
    return (
      await this.store.read((tx) =>
        planResume(tx, {
          runId,
          workflow,
          options,
          secretNames: Object.keys(options.secrets ?? {}),
          trigger: this.#options.trigger,
          actor: null,
        }),
      )
    ).plan;
  }

  /** Continue a failed, cancelled, paused or interrupted run in place, with the current definition. */
  async resume(
    runId: string,
    options: ResumeOptions & {
      secrets?: Record<string, string>;
      actor?: string;
      detach?: boolean;
      /** A deadline for this resume ("30m", or milliseconds); default: the run's own time limit, afresh. */
      timeout?: number | string;
    } = {},
  ): Promise<RunHandle & { plan: ResumePlan }> {
    const timeoutMs = parseRunTimeout(options.timeout);
    const workflow = await this.#workflowOfRun(runId);
    // Not waiting for the sync before the secrets are in place: the executor may claim the resumed
    // steps as soon as the commit is visible, and must find them. Acknowledged after the sync below.
    const { run, plan } = await this.store.transaction(
      (tx) =>
        resumeRun(tx, {
          runId,
          workflow,
          options,
          secretNames: Object.keys(options.secrets ?? {}),
          trigger: this.#options.trigger,
          actor: options.actor ?? null,
          driverId: this.#driver(options.detach),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        }),
      { sync: "later" },
    );
    if (options.secrets) this.#secrets.set(runId, { ...options.secrets });
    if (!options.detach) this.#ownRuns.add(runId);
    this.#executor?.wake();
    await this.store.flushed();
    return { ...this.#handle(run), plan };
  }

  /** A new run of the same workflow (current definition) and input, from scratch. */
  async restart(
    runId: string,
    options: { actor?: string; secrets?: Record<string, string>; detach?: boolean } = {},
  ): Promise<RunHandle> {
    return this.#newRunFrom(runId, options, (tx, req) => restartRun(tx, req));
  }

  /**
   * A new run executing the selected (or all failed) steps and their downstream; the rest is reused.
   * Steps whose definition changed since the source run follow `onChange`, as in resume.
   *
   * @example
   * await cairn.rerun(runId, { failed: true }, { onChange: "rerun" });
   */
  async rerun(
    runId: string,
    selection: RerunSelection,
    options: RerunOptions & { actor?: string; secrets?: Record<string, string>; detach?: boolean } = {},
  ): Promise<RunHandle & { plan: ResumePlan }> {
    let plan: ResumePlan | undefined;
    const handle = await this.#newRunFrom(
      runId,
      options,
      async (tx, req) => {
        const result = await rerunRun(tx, { ...req, selection, ...options });
        plan = result.plan;
        return result.run;
      },
      true,
    );
    return { ...handle, plan: plan! };
  }

  /** What a rerun would execute and reuse (from which run), and why; changes nothing. */
  async rerunPlan(runId: string, selection: RerunSelection, options: RerunOptions = {}): Promise<ResumePlan> {
    const workflow = await this.#workflowOfRun(runId);
    return (await this.store.read((tx) => planRerun(tx, runId, workflow, selection, options))).plan;
  }

  async cancel(runId: string, options: { actor?: string } = {}): Promise<RunRecord> {
    // The run's steps here are stopped as soon as the cancel commits; the caller hears once it is synced.
    const run = await this.store.transaction(
      (tx) => cancelRun(tx, runId, options.actor ?? this.#options.trigger),
      { sync: "later" },
    );
    this.#executor?.abortRun(runId, "cancelled");
    await this.store.flushed();
    this.#wakeUps.notify(runId);
    return run;
  }

  async pause(runId: string, options: { actor?: string } = {}): Promise<RunRecord> {
    const run = await this.store.transaction((tx) =>
      pauseRun(tx, runId, options.actor ?? this.#options.trigger),
    );
    this.#wakeUps.notify(runId);
    return run;
  }

  /**
   * Send a signal to a run: the wait parked on it continues (its data checked against the wait's
   * schema), or it is kept for the wait that comes later. A repeated `key` is accepted once.
   * @example await cairn.signal(runId, "approve", { approved: true }, { key: "ticket-42" });
   */
  async signal(
    runId: string,
    name: string,
    data: unknown = null,
    options: { key?: string; tenant?: string; actor?: string } = {},
  ): Promise<SignalReceipt> {
    const receipt = await this.store.transaction((tx) =>
      sendSignal(tx, {
        runId,
        name,
        data: toJsonValue(data, `signal "${name}"`),
        key: options.key ?? null,
        ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
        by: options.actor ?? this.#options.trigger,
      }),
    );
    this.#executor?.wake();
    return receipt;
  }

  /** The latest failed run of a workflow and its failed steps (topological order, then id). */
  async latestFailed(
    workflowId: string,
    tenant?: string,
  ): Promise<
    { run: RunRecord; failed: Array<{ stepId: string; label: string | null; error: string }> } | undefined
  > {
    return latestFailed(this.store, workflowId, tenant);
  }

  /** Apply recovery policies to runs of registered workflows whose owner died. */
  recover(): Promise<RecoveryReport> {
    return this.store
      .transaction((tx) => recoverOrphans(tx, { workflows: this.#workflows, onlyRegistered: true }))
      .then((report) => {
        logRecovery(report, this.logger);
        const { recovered, interrupted } = report;
        if (recovered.length + interrupted.length > 0)
          this.activity.emit({
            kind: "recovered",
            recovered: recovered.length,
            interrupted: interrupted.length,
          });
        if (report.recovered.length > 0) this.#executor?.wake();
        for (const r of report.interrupted) this.#wakeUps.notify(r.runId);
        return report;
      });
  }

  workflows(): Promise<WorkflowRecord[]> {
    return this.store.listWorkflows();
  }

  /** Wait until a run is no longer running, without polling faster than `pollIntervalMs`. */
  async wait(runId: string): Promise<RunRecord> {
    for (;;) {
      const settled = await this.#settled(runId);
      if (settled) {
        // Read from a commit that may still be on its way to the disk: reported once it is there.
        await this.store.flushed();
        return settled;
      }
      await this.#wakeUps.next(runId);
    }
  }

  /**
   * The run once nothing of it is running any more (shown as interrupted when its owner died), or
   * null. Cheap while this process drives the run: reading every step on each wake-up made waiting
   * on a 100,000-step run quadratic.
   */
  async #settled(runId: string): Promise<RunRecord | null> {
    const run = await this.store.getRun(runId);
    if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
    if (run.status === "running" && run.driverId === this.workerId && this.#executor && !this.#closed)
      return null;
    if (run.status !== "running") {
      const { running } = await this.store.read((tx) => tx.runActivity(runId));
      return running ? null : run;
    }
    const view = await this.get(runId);
    if (!view) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
    return view.run.status !== "running" ? view.run : null;
  }

  /**
   * Stop executing (waiting for steps in flight, or aborting them with `abort`) and close the store.
   * Runs this process drove and did not finish become `interrupted`, with `reason` when given.
   */
  async close(options: { abort?: boolean; reason?: string } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#recoveryTimer);
    try {
      await this.#executor?.stop(options);
      if (this.#executor) await this.#releaseDrivenRuns(options.reason);
    } finally {
      if (this.#ownsStore) await this.store.close();
    }
  }

  async #releaseDrivenRuns(reason?: string): Promise<void> {
    await this.store.transaction((tx) => releaseDrivenRuns(tx, this.workerId, this.#options.clock(), reason));
  }

  async #newRunFrom(
    runId: string,
    options: { actor?: string; secrets?: Record<string, string>; detach?: boolean },
    create: (
      tx: Parameters<Parameters<Store["transaction"]>[0]>[0],
      req: Parameters<typeof restartRun>[1],
    ) => Promise<RunRecord>,
    copyFiles = false,
  ): Promise<RunHandle> {
    const source = await this.store.getRun(runId);
    if (!source) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
    const workflow = await this.#workflowOfRun(runId);
    this.#checkSecrets(source.secretNames, options.secrets, `Run "${runId}"`);
    const newRunId = newId("run");
    const workdir = this.#workdir(newRunId);
    if (copyFiles) copyWorkdir(source.workdir, workdir);
    else fs.mkdirSync(workdir, { recursive: true });
    if (options.secrets) this.#secrets.set(newRunId, { ...options.secrets });
    if (!options.detach) this.#ownRuns.add(newRunId);
    try {
      const run = await this.store.transaction((tx) =>
        create(tx, {
          source: runId,
          newRunId,
          workflow,
          workdir,
          driverId: this.#driver(options.detach),
          trigger: this.#options.trigger,
          actor: options.actor ?? null,
        }),
      );
      this.#executor?.wake();
      return this.#handle(run);
    } catch (error) {
      if (isCommittedUnsynced(error)) throw error;
      fs.rmSync(workdir, { recursive: true, force: true });
      this.#ownRuns.delete(newRunId);
      this.#secrets.delete(newRunId);
      throw error;
    }
  }

  #driver(detach: boolean | undefined): string | null {
    return this.#executor && !detach ? this.workerId : null;
  }

  #workdir(runId: string): string {
    return path.join(this.store.dataDir, "runs", runId);
  }

  #checkSecrets(names: readonly string[], given: Record<string, string> | undefined, who: string): void {
    const missing = names.filter((n) => typeof given?.[n] !== "string" || given[n] === "");
    if (missing.length > 0)
      throw new CairnError(
        "INVALID_INPUT",
        `${who} needs the secret${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; pass ${missing.length > 1 ? "them" : "it"} at start (secrets are held in memory, never stored).`,
        { details: { missing } },
      );
  }

  async #ensureRegistered(workflow: WorkflowLike): Promise<LoadedWorkflow> {
    const definition = toDefinition(workflow);
    const known = this.#workflows.get(definition.id);
    if (known && known.definition === definition) return known;
    return this.register(definition);
  }

  async #workflowById(id: string): Promise<LoadedWorkflow> {
    const known = this.#workflows.get(id);
    if (known) return known;
    const record = await this.store.getWorkflow(id);
    return this.register(await loadOneWorkflow(definitionFile(id, null, record), id));
  }

  /** The current definition of a run's workflow: registered here, or loaded again from the run's own file. */
  async #workflowOfRun(runId: string): Promise<LoadedWorkflow> {
    const run = await this.store.getRun(runId);
    if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
    const known = this.#workflows.get(run.workflowId);
    if (known) return known;
    const record = await this.store.getWorkflow(run.workflowId);
    return this.register(await loadOneWorkflow(definitionFile(run.workflowId, run, record), run.workflowId));
  }

  #handle(run: RunRecord): RunHandle {
    return { id: run.id, run, result: () => this.wait(run.id) };
  }
}

/** An idempotent start may only return a run of the same tenant and workflow. */
function sameRun(run: RunRecord, tenant: string, workflowId: string): RunRecord {
  // Another tenant's run must not be revealed, not even its workflow: the id is simply taken.
  if (run.tenant !== tenant)
    throw new CairnError("CONFLICT", `Run id "${run.id}" is already taken; choose another.`);
  if (run.workflowId !== workflowId)
    throw new CairnError("CONFLICT", `Run id "${run.id}" is already a run of workflow "${run.workflowId}".`, {
      details: { status: run.status },
    });
  return run;
}

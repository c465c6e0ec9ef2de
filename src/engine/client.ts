import type { WorkflowLike } from "../core/builder.js";
import { CairnError } from "../core/errors.js";
import { toJsonValue } from "../core/json-value.js";
import type { CairnLogger } from "../core/logger.js";
import type { ResumePlan } from "../core/resume-plan.js";
import type { RunRecord } from "../core/types.js";
import type { Store } from "../store/store.js";
import { isTokenStore, type TokenStore } from "../store/tokens.js";
import { type CairnOptions, type ClientOptions, resolveOptions } from "./cairn-options.js";
import { ClientQueries } from "./client-queries.js";
import {
  type ClientResumeOptions,
  type NewRunOptions,
  rerunFrom,
  restartFrom,
  resumeInPlace,
  type StartOptions,
  startRun,
} from "./client-runs.js";
import { bindState, type ClientState, stateOf } from "./client-state.js";
import { cancelRun, pauseRun } from "./control.js";
import type { RerunOptions, RerunSelection } from "./lineage.js";
import { openClientStore } from "./open-client-store.js";
import { openTracing } from "./open-tracing.js";
import type { LoadedWorkflow } from "./registry.js";
import {
  collectGarbage,
  deleteOneRun,
  type GcOptions,
  type GcReport,
  type GcRun,
  type RetentionRules,
  startRetention,
} from "./retention.js";
import { RunDefinitions } from "./run-definitions.js";
import { waitForRun } from "./run-wait.js";
import { listScheduleViews, type ScheduleView, setSchedulesPaused } from "./schedules.js";
import { type SignalReceipt, sendSignal } from "./signals.js";
import {
  listStoredVersions,
  listStoredWorkflows,
  type StoredWorkflowSummary,
  type StoredWorkflowVersion,
  type StoreWorkflowOptions,
  storedWorkflow,
  storeWorkflowVersion,
} from "./stored-workflows.js";
import type { RunTracing } from "./tracing.js";
import { WakeUps } from "./wake-ups.js";
import { registerWorkflow } from "./workflow-lookup.js";

export type { StartOptions } from "./client-runs.js";

/** What start, resume, restart and rerun return: the run id and a way to wait for it. */
export interface RunHandle {
  readonly id: string;
  readonly run: RunRecord;
  /** Resolves when the run is no longer running (succeeded, failed, cancelled, paused or interrupted). */
  result(): Promise<RunRecord>;
}

/**
 * Start, inspect and act on runs from a process that need not execute any step: the server and the
 * CLI use one. Runs it starts are executed by a worker (a `CairnWorker` attached to it, or in
 * another process); `Cairn.open` gives a client with a worker attached.
 *
 * @example
 * const client = await CairnClient.open({ db: "postgres://cairn@db/cairn" });
 * const handle = await client.start(report, { topic: "tides" });   // records the workflow too
 * const run = await handle.result();   // once a worker somewhere has finished it
 * await client.close();
 */
export class CairnClient extends ClientQueries {
  protected constructor(
    store: Store,
    ownsStore: boolean,
    options: CairnOptions,
    tracing: RunTracing | null = null,
  ) {
    super();
    const resolved = resolveOptions(options);
    const workflows = new Map<string, LoadedWorkflow>();
    const actions = options.actions ?? [];
    bindState(this, {
      store,
      ownsStore,
      options: resolved,
      logger: resolved.logger,
      loadWorkflow: options.loadWorkflow ?? null,
      actions,
      workflows,
      definitions: new RunDefinitions(workflows, actions),
      secrets: new Map(),
      ownRuns: new Set(),
      wakeUps: new WakeUps(resolved.pollIntervalMs),
      tracing,
      worker: null,
      closed: false,
    } satisfies ClientState);
  }

  /** Open a client on a store location (SQLite path or PostgreSQL URL) or an open store. */
  static async open(options: ClientOptions = {}): Promise<CairnClient> {
    const tracing = await openTracing(options);
    const { store, owns } = await openClientStore(options);
    return new CairnClient(store, owns, options, tracing);
  }

  /** Where this instance logs (the `logger` option). */
  get logger(): CairnLogger {
    return stateOf(this).logger;
  }

  /** API tokens in this client's store (the server checks them; `cairn token` manages them). */
  get tokens(): TokenStore {
    const { store } = stateOf(this);
    if (!isTokenStore(store)) throw new CairnError("STORE", "This store keeps no API tokens.");
    return store;
  }

  /** Validate and register a workflow so this instance can start (and an attached worker execute) its runs. */
  register(workflow: WorkflowLike): Promise<LoadedWorkflow> {
    return registerWorkflow(stateOf(this), workflow);
  }

  /**
   * Validate a YAML or JSON definition received as data and store it as a version of workflow `id`
   * (content-addressed: an unchanged definition gives the same version, `created: false`).
   *
   * @example
   * const { version } = await client.storeWorkflow("etl", yamlText, { format: "yaml" });
   */
  storeWorkflow(id: string, text: string, options: StoreWorkflowOptions): Promise<StoredWorkflowVersion> {
    return storeWorkflowVersion(stateOf(this), id, text, options);
  }

  /** The stored versions of a workflow (of the tenant, default this client's), newest first. */
  workflowVersions(id: string, tenant?: string): Promise<Array<{ version: string; createdAt: number }>> {
    return listStoredVersions(stateOf(this), id, tenant);
  }

  /** The workflows the tenant (default this client's) stored as data, by id, each by its newest version. */
  storedWorkflows(tenant?: string): Promise<StoredWorkflowSummary[]> {
    return listStoredWorkflows(stateOf(this), tenant);
  }

  /** A workflow the tenant stored as data, by its newest version; undefined when it stored none. */
  storedWorkflow(id: string, tenant?: string): Promise<StoredWorkflowSummary | undefined> {
    return storedWorkflow(stateOf(this), id, tenant);
  }

  /** Start a run. With an existing `runId`, returns that run instead of starting a second one. */
  async start(
    workflow: WorkflowLike | string,
    input: unknown = {},
    options: StartOptions = {},
  ): Promise<RunHandle> {
    return this.#handle(await startRun(stateOf(this), workflow, input, options));
  }

  /** Continue a failed, cancelled, paused or interrupted run in place, with the current definition. */
  async resume(runId: string, options: ClientResumeOptions = {}): Promise<RunHandle & { plan: ResumePlan }> {
    const { run, plan } = await resumeInPlace(stateOf(this), runId, options);
    return { ...this.#handle(run), plan };
  }

  /** A new run of the same workflow (current definition) and input, from scratch. */
  async restart(runId: string, options: NewRunOptions = {}): Promise<RunHandle> {
    return this.#handle(await restartFrom(stateOf(this), runId, options));
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
    options: RerunOptions & NewRunOptions = {},
  ): Promise<RunHandle & { plan: ResumePlan }> {
    const { run, plan } = await rerunFrom(stateOf(this), runId, selection, options);
    return { ...this.#handle(run), plan };
  }

  async cancel(runId: string, options: { actor?: string } = {}): Promise<RunRecord> {
    const state = stateOf(this);
    // The run's steps here are stopped as soon as the cancel commits; the caller hears once it is synced.
    const children: string[] = [];
    const run = await state.store.transaction(
      (tx) => {
        children.length = 0; // a transaction may be attempted again
        return cancelRun(tx, runId, options.actor ?? state.options.trigger, children);
      },
      { sync: "later" },
    );
    for (const id of [runId, ...children]) state.worker?.abortRun(id, "cancelled");
    await state.store.flushed();
    for (const id of [runId, ...children]) state.wakeUps.notify(id);
    return run;
  }

  async pause(runId: string, options: { actor?: string } = {}): Promise<RunRecord> {
    const state = stateOf(this);
    const run = await state.store.transaction((tx) =>
      pauseRun(tx, runId, options.actor ?? state.options.trigger),
    );
    state.wakeUps.notify(runId);
    return run;
  }

  /**
   * The schedules of this instance's tenant (of one workflow, or all) with their next tick, as the
   * workflows were last registered by any process.
   */
  schedules(filter: { workflowId?: string; tenant?: string } = {}): Promise<ScheduleView[]> {
    const state = stateOf(this);
    return listScheduleViews(state.store, { ...filter, tenant: filter.tenant ?? state.options.tenant });
  }

  /**
   * Pause a workflow's schedule (all of its schedules without `name`): no run starts at its ticks
   * until it is resumed, and resuming does not start the ticks of the pause.
   * @example await cairn.pauseSchedule("cleanup", "hourly");
   */
  pauseSchedule(
    workflowId: string,
    name?: string,
    options: { tenant?: string } = {},
  ): Promise<ScheduleView[]> {
    return this.#setPaused(workflowId, name, options.tenant, true);
  }

  /** Resume a paused schedule (all of the workflow's without `name`): runs start from its next tick. */
  resumeSchedule(
    workflowId: string,
    name?: string,
    options: { tenant?: string } = {},
  ): Promise<ScheduleView[]> {
    return this.#setPaused(workflowId, name, options.tenant, false);
  }

  #setPaused(workflowId: string, name: string | undefined, tenant: string | undefined, paused: boolean) {
    const state = stateOf(this);
    const target = {
      workflowId,
      tenant: tenant ?? state.options.tenant,
      ...(name === undefined ? {} : { name }),
    };
    return setSchedulesPaused(state.store, target, paused);
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
    const state = stateOf(this);
    const receipt = await state.store.transaction((tx) =>
      sendSignal(tx, {
        runId,
        name,
        data: toJsonValue(data, `signal "${name}"`),
        key: options.key ?? null,
        ...(options.tenant !== undefined ? { tenant: options.tenant } : {}),
        by: options.actor ?? state.options.trigger,
      }),
    );
    state.worker?.wake();
    return receipt;
  }

  /**
   * Delete one finished run and everything recorded for it: NOT_FOUND when it does not exist (or is
   * another tenant's), CONFLICT when it is not finished.
   */
  deleteRun(runId: string, options: { tenant?: string } = {}): Promise<GcRun> {
    return deleteOneRun(stateOf(this).store, runId, options.tenant);
  }

  /** Delete the finished runs the rules select, oldest first (or, with `dryRun`, list them). */
  collectGarbage(rules: RetentionRules, options: GcOptions = {}): Promise<GcReport> {
    return collectGarbage(stateOf(this).store, rules, options);
  }

  /** Apply retention rules every `intervalMs`, once at once; `stop()` waits for a pass in progress. */
  startRetention(
    rules: RetentionRules,
    options: { intervalMs: number; onError: (error: unknown) => void; onReport?: (report: GcReport) => void },
  ): { stop(): Promise<void> } {
    return startRetention(stateOf(this).store, rules, options);
  }

  /** Wait until a run is no longer running, without polling faster than `pollIntervalMs`. */
  wait(runId: string): Promise<RunRecord> {
    return waitForRun(stateOf(this), runId, (id) => this.get(id));
  }

  /**
   * Stop the attached worker, if any (waiting for steps in flight, or aborting them with `abort`; runs
   * it drove and did not finish become `interrupted`, with `reason` when given), and close the store.
   */
  async close(options: { abort?: boolean; reason?: string } = {}): Promise<void> {
    const state = stateOf(this);
    if (state.closed) return;
    state.closed = true;
    try {
      await state.worker?.close(options);
    } finally {
      if (state.ownsStore) await state.store.close();
      // The last spans (a run's end) are exported before a short-lived process exits.
      await state.tracing
        ?.flush()
        .catch((error: unknown) => state.logger.warn({ err: error }, "exporting spans failed"));
    }
  }

  #handle(run: RunRecord): RunHandle {
    return { id: run.id, run, result: () => this.wait(run.id) };
  }
}

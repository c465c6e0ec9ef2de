import fs from "node:fs";
import path from "node:path";
import type { WorkflowLike } from "../core/builder.js";
import { validateInput } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { toJsonValue } from "../core/json-value.js";
import type { CairnLogger } from "../core/logger.js";
import type { ResumeOptions, ResumePlan } from "../core/resume-plan.js";
import type { RunRecord } from "../core/types.js";
import { isCommittedUnsynced, type Store, type StoreTx } from "../store/store.js";
import { isTokenStore, type TokenStore } from "../store/tokens.js";
import { type CairnOptions, type ClientOptions, resolveOptions } from "./cairn-options.js";
import { ClientQueries } from "./client-queries.js";
import { bindState, type ClientState, stateOf } from "./client-state.js";
import { cancelRun, pauseRun } from "./control.js";
import { insertRun } from "./create-run.js";
import { parseRunTimeout } from "./deadlines.js";
import { newId } from "./ids.js";
import { copyWorkdir, type RerunOptions, type RerunSelection, rerunRun, restartRun } from "./lineage.js";
import { openClientStore } from "./open-client-store.js";
import { openTracing, withAttemptSpans } from "./open-tracing.js";
import type { LoadedWorkflow } from "./registry.js";
import { resumeRun } from "./resume.js";
import {
  collectGarbage,
  deleteOneRun,
  type GcOptions,
  type GcReport,
  type GcRun,
  type RetentionRules,
  startRetention,
} from "./retention.js";
import { checkSecrets, sameRun } from "./run-checks.js";
import { waitForRun } from "./run-wait.js";
import { listScheduleViews, type ScheduleView, setSchedulesPaused } from "./schedules.js";
import { type SignalReceipt, sendSignal } from "./signals.js";
import {
  listStoredVersions,
  type StoredWorkflowVersion,
  type StoreWorkflowOptions,
  storeWorkflowVersion,
} from "./stored-workflows.js";
import type { RunTracing } from "./tracing.js";
import { WakeUps } from "./wake-ups.js";
import { ensureRegistered, registerWorkflow, workflowById, workflowOfRun } from "./workflow-lookup.js";

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

type NewRunOptions = { actor?: string; secrets?: Record<string, string>; detach?: boolean };

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
    bindState(this, {
      store,
      ownsStore,
      options: resolved,
      logger: resolved.logger,
      loadWorkflow: options.loadWorkflow ?? null,
      actions: options.actions ?? [],
      workflows: new Map(),
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

  /** Start a run. With an existing `runId`, returns that run instead of starting a second one. */
  async start(
    workflow: WorkflowLike | string,
    input: unknown = {},
    options: StartOptions = {},
  ): Promise<RunHandle> {
    const state = stateOf(this);
    const { store } = state;
    const loaded =
      typeof workflow === "string"
        ? await workflowById(state, workflow)
        : await ensureRegistered(state, workflow);
    const definition = loaded.definition;
    const runId = options.runId ?? newId("run");
    if (options.runId !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(runId))
      throw new CairnError(
        "INVALID_INPUT",
        `Run id "${runId}" may only contain letters, digits, "_", "." and "-" (at most 128).`,
      );
    const tenant = options.tenant ?? state.options.tenant;
    const existing = await store.getRun(runId);
    if (existing) {
      // Found, but perhaps committed by this process a moment ago and not yet on disk.
      await store.flushed();
      return this.#handle(sameRun(existing, tenant, definition.id));
    }
    const value = await validateInput(definition, input);
    const timeoutMs = parseRunTimeout(options.timeout);
    checkSecrets(definition.secrets, options.secrets, `Workflow "${definition.id}"`);
    const workdir = path.join(store.dataDir, "runs", runId);
    fs.mkdirSync(workdir, { recursive: true });
    // A detached run is left to other workers, even when this instance executes only its own runs.
    const inserted = await this.#creatingRun(runId, workdir, options, () =>
      withAttemptSpans(state.tracing, (spans) =>
        store.transaction((tx) =>
          insertRun(tx, {
            runId,
            workflow: loaded,
            input: value,
            tenant,
            workdir,
            origin: "start",
            parent: null,
            driverId: driver(state, options.detach),
            trigger: state.options.trigger,
            actor: options.actor ?? null,
            ...(timeoutMs === undefined ? {} : { timeoutMs }),
            spans,
          }),
        ),
      ),
    );
    // Another start with the same id may have won the race between the check above and the insert.
    const run = inserted.created ? inserted.run : sameRun(inserted.run, tenant, definition.id);
    state.worker?.wake();
    return this.#handle(run);
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
    const state = stateOf(this);
    const timeoutMs = parseRunTimeout(options.timeout);
    const workflow = await workflowOfRun(state, runId);
    // Not waiting for the sync before the secrets are in place: the executor may claim the resumed
    // steps as soon as the commit is visible, and must find them. Acknowledged after the sync below.
    const { run, plan } = await withAttemptSpans(state.tracing, (spans) =>
      state.store.transaction(
        (tx) =>
          resumeRun(tx, {
            runId,
            workflow,
            options,
            secretNames: Object.keys(options.secrets ?? {}),
            trigger: state.options.trigger,
            actor: options.actor ?? null,
            driverId: driver(state, options.detach),
            ...(timeoutMs === undefined ? {} : { timeoutMs }),
            spans,
          }),
        { sync: "later" },
      ),
    );
    if (options.secrets) state.secrets.set(runId, { ...options.secrets });
    if (!options.detach) state.ownRuns.add(runId);
    state.worker?.wake();
    await state.store.flushed();
    return { ...this.#handle(run), plan };
  }

  /** A new run of the same workflow (current definition) and input, from scratch. */
  async restart(runId: string, options: NewRunOptions = {}): Promise<RunHandle> {
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
    options: RerunOptions & NewRunOptions = {},
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

  async cancel(runId: string, options: { actor?: string } = {}): Promise<RunRecord> {
    const state = stateOf(this);
    // The run's steps here are stopped as soon as the cancel commits; the caller hears once it is synced.
    const run = await state.store.transaction(
      (tx) => cancelRun(tx, runId, options.actor ?? state.options.trigger),
      { sync: "later" },
    );
    state.worker?.abortRun(runId, "cancelled");
    await state.store.flushed();
    state.wakeUps.notify(runId);
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

  async #newRunFrom(
    runId: string,
    options: NewRunOptions,
    create: (tx: StoreTx, req: Parameters<typeof restartRun>[1]) => Promise<RunRecord>,
    copyFiles = false,
  ): Promise<RunHandle> {
    const state = stateOf(this);
    const source = await state.store.getRun(runId);
    if (!source) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
    const workflow = await workflowOfRun(state, runId);
    checkSecrets(source.secretNames, options.secrets, `Run "${runId}"`);
    const newRunId = newId("run");
    const workdir = path.join(state.store.dataDir, "runs", newRunId);
    if (copyFiles) copyWorkdir(source.workdir, workdir);
    else fs.mkdirSync(workdir, { recursive: true });
    const run = await this.#creatingRun(newRunId, workdir, options, () =>
      withAttemptSpans(state.tracing, (spans) =>
        state.store.transaction((tx) =>
          create(tx, {
            source: runId,
            newRunId,
            workflow,
            workdir,
            driverId: driver(state, options.detach),
            trigger: state.options.trigger,
            actor: options.actor ?? null,
            spans,
          }),
        ),
      ),
    );
    state.worker?.wake();
    return this.#handle(run);
  }

  /**
   * Insert a new run whose directory exists: its secrets and ownership are in place before the
   * commit (a worker may claim its steps at once); when the insert fails, nothing half-made is left
   * behind (no directory, no in-memory secrets for a run that does not exist).
   */
  async #creatingRun<T>(
    runId: string,
    workdir: string,
    options: NewRunOptions,
    insert: () => Promise<T>,
  ): Promise<T> {
    const state = stateOf(this);
    if (options.secrets) state.secrets.set(runId, { ...options.secrets });
    if (!options.detach) state.ownRuns.add(runId);
    try {
      return await insert();
    } catch (error) {
      if (isCommittedUnsynced(error)) throw error;
      fs.rmSync(workdir, { recursive: true, force: true });
      state.ownRuns.delete(runId);
      state.secrets.delete(runId);
      throw error;
    }
  }

  #handle(run: RunRecord): RunHandle {
    return { id: run.id, run, result: () => this.wait(run.id) };
  }
}

/** The worker that will drive a new run: the attached one, unless the run is detached. */
function driver(state: ClientState, detach: boolean | undefined): string | null {
  return state.worker && !detach ? state.worker.workerId : null;
}

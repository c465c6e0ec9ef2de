import type { ScheduleRecord } from "../core/schedule.js";
import type {
  CairnEvent,
  ItemRecord,
  ItemStatus,
  Json,
  LogLine,
  NewEvent,
  RunAttemptRecord,
  RunRecord,
  RunStatus,
  SignalRecord,
  StepRecord,
  StepStatus,
  WorkflowRecord,
  WorkflowVersionRecord,
} from "../core/types.js";
import type {
  ClaimFilter,
  DeletedRunRecord,
  FencedStepRef,
  ItemFilter,
  ItemSummary,
  MetricCounts,
  RetentionFilter,
  RunActivity,
  RunFilter,
  RunPatch,
  ScheduleRef,
  StepLease,
  StepPatch,
  StepProcess,
  StepReadOptions,
  StepRef,
  StoredWorkflowRecord,
  StoreStats,
  WorkerRecord,
  WorkflowHistoryFilter,
} from "./store-records.js";

export type {
  ClaimFilter,
  DeletedRunRecord,
  FencedStepRef,
  ItemFilter,
  ItemSummary,
  MetricCounts,
  RetentionFilter,
  RunActivity,
  RunFilter,
  RunPatch,
  ScheduleRef,
  StepLease,
  StepPatch,
  StepProcess,
  StepReadOptions,
  StepRef,
  StoredWorkflowRecord,
  StoreStats,
  WorkerRecord,
  WorkflowHistoryFilter,
} from "./store-records.js";
export type { TokenRecord } from "./tokens.js";

/**
 * The store port. The run/step state machine (engine/transitions) is written once against `StoreTx`;
 * each database implements these row operations, its own transaction and its own claim locking.
 * Every method that a step's owner uses to write takes the lease epoch, and reports whether exactly
 * one row was affected (fencing).
 */
export interface StoreTx {
  /** The store's clock in ms (the database's `now()` on PostgreSQL). */
  now(): Promise<number>;

  upsertWorkflow(workflow: WorkflowRecord): Promise<void>;
  getWorkflow(id: string): Promise<WorkflowRecord | undefined>;
  /** Store a workflow version; false when the tenant already has this version of this workflow. */
  putWorkflowVersion(version: WorkflowVersionRecord): Promise<boolean>;
  /** One stored version, or (no version given) the tenant's newest; as `Store.getWorkflowVersion`. */
  getWorkflowVersion(
    tenant: string,
    workflowId: string,
    version?: string,
  ): Promise<WorkflowVersionRecord | undefined>;

  upsertWorker(worker: WorkerRecord): Promise<void>;
  getWorkers(ids: readonly string[]): Promise<WorkerRecord[]>;

  getRun(runId: string): Promise<RunRecord | undefined>;
  insertRun(run: RunRecord): Promise<void>;
  /** Applies the patch only when the run's status is one of `expect` (compare-and-set). */
  updateRun(runId: string, patch: RunPatch, expect?: readonly RunStatus[]): Promise<boolean>;
  /** Runs in a status, oldest first. */
  listRunsByStatus(statuses: readonly RunStatus[], limit: number): Promise<RunRecord[]>;
  /** The child runs that steps of this run started (`callerRunId` = runId), oldest first. */
  listRunsCalledBy(runId: string): Promise<RunRecord[]>;

  /**
   * A run's steps: all (in insertion order) or the given ones. `{ outputs: false }` may leave out
   * each step's output, vars and checkpoint (they come back null): for callers that need statuses
   * only, such as a resume plan, which would otherwise read every output of a long run.
   */
  getSteps(runId: string, stepIds?: readonly string[], options?: StepReadOptions): Promise<StepRecord[]>;
  insertSteps(steps: readonly StepRecord[]): Promise<void>;
  /** Unfenced update (resume, rerun, recovery, readiness), optionally only from given statuses. */
  updateStep(ref: StepRef, patch: StepPatch, fromStatuses?: readonly StepStatus[]): Promise<boolean>;
  /** Fenced update by the step's owner: applies only while running under this epoch and owner. */
  updateOwnedStep(ref: FencedStepRef, patch: StepPatch): Promise<boolean>;
  /**
   * Claim a step that is in status `from` for a worker, in one statement: it becomes running, its
   * attempts and lease epoch go up by one, its lease runs until `now + leaseMs`. Returns the step as
   * claimed, or null when it was not in `from` (someone else moved it first).
   */
  claimStep(ref: StepRef, from: StepStatus, lease: StepLease): Promise<StepRecord | null>;
  /** How many of these steps of the run are not succeeded. */
  countUnsucceeded(runId: string, stepIds: readonly string[]): Promise<number>;
  runActivity(runId: string): Promise<RunActivity>;
  /** Steps that are `running` (optionally only those owned by one worker). */
  runningSteps(ownerId?: string): Promise<StepRecord[]>;
  /** The earliest `readyAt` of a ready step in a running run, for the executor's next wake-up. */
  nextReadyAt(filter: Omit<ClaimFilter, "limit" | "now">): Promise<number | null>;
  /**
   * Pick up to `limit` ready steps of running runs (readyAt <= now) and lock them for this
   * transaction so no other worker picks the same ones. The caller then claims them.
   */
  selectClaimable(filter: ClaimFilter): Promise<StepRef[]>;

  /**
   * Fenced: remember the process group this execution of a step started (replacing an earlier
   * execution's); false when the step is no longer running under this epoch.
   */
  recordStepProcess(ref: FencedStepRef, process: Omit<StepProcess, "epoch">): Promise<boolean>;
  /** The process group recorded for a step's latest execution that started one. */
  getStepProcess(ref: StepRef): Promise<StepProcess | undefined>;

  getMemo(ref: StepRef, key: string): Promise<{ value: Json } | undefined>;
  putMemo(ref: FencedStepRef, key: string, value: Json): Promise<boolean>;
  deleteMemos(runId: string, stepIds: readonly string[]): Promise<void>;
  listMemos(ref: StepRef): Promise<Array<{ key: string; value: Json; at: number }>>;

  /**
   * Fenced: record settled items of a map step (insert or replace by key), all or none, while the
   * writer holds the step's lease; false (nothing written) once it lost it. Indexes are unique
   * within a map like keys (a store may key items by either): once a batch is written, no two
   * recorded items of the map share an index.
   */
  recordItems(ref: FencedStepRef, items: readonly ItemRecord[]): Promise<boolean>;
  /** A map step's recorded items in item order, optionally one status, after an index, up to a limit. */
  getItems(runId: string, stepId: string, filter?: ItemFilter): Promise<ItemRecord[]>;
  /** How many recorded items of a map step are in each status. */
  countItems(runId: string, stepId: string): Promise<Record<ItemStatus, number>>;
  /**
   * A rerun's map step starts with the succeeded items of the same step of its source run, each
   * naming the run that executed it (`fromRunId`), except the items with the keys in `except` (a
   * rerun of chosen items runs those again). Returns how many were copied.
   */
  copySucceededItems(from: StepRef, toRunId: string, except?: readonly string[]): Promise<number>;
  /**
   * Fenced: forget the recorded items of a map step with these keys (a rerun's list no longer has
   * them); false (nothing deleted) once the writer lost the step's lease.
   */
  dropItems(ref: FencedStepRef, keys: readonly string[]): Promise<boolean>;
  /** Forget the recorded items of these steps (their next execution runs every item again). */
  deleteItems(runId: string, stepIds: readonly string[]): Promise<void>;

  /**
   * Keep a signal for a run. false (and nothing written) when one with the same run, name and
   * non-null key exists: a repeated send is accepted once.
   */
  insertSignal(signal: Omit<SignalRecord, "seq" | "takenBy" | "takenAt">): Promise<boolean>;
  /** The oldest signal of this name sent to the run and not taken yet. */
  pendingSignal(runId: string, name: string): Promise<SignalRecord | undefined>;
  /** Mark a signal taken by a step; false when it was already taken (someone else got it). */
  takeSignal(seq: number, by: StepRef, at: number): Promise<boolean>;
  /** Every signal of a run, in order of arrival. */
  listSignals(runId: string): Promise<SignalRecord[]>;

  /**
   * Make a workflow's stored schedules the given ones: a new one starts unpaused with `lastTick` =
   * `now` (no tick before it is due), a known one keeps its state and takes the new spec, and the
   * workflow's schedules not given are deleted.
   */
  syncSchedules(
    workflowId: string,
    schedules: readonly { name: string; spec: Json }[],
    now: number,
  ): Promise<void>;
  /** Stored schedules (of one workflow, or all), by workflow id and name. */
  listSchedules(workflowId?: string): Promise<ScheduleRecord[]>;
  /**
   * Claim a tick (compare-and-set): sets `lastTick` to `tick` and `lastRunId` to `runId` (null: the
   * tick was skipped) only while the schedule is not paused and its `lastTick` is earlier. False when
   * it was paused, unknown, or the tick was claimed already (by another worker).
   */
  advanceSchedule(ref: ScheduleRef, tick: number, runId: string | null, at: number): Promise<boolean>;
  /**
   * Pause or resume a schedule; false when it does not exist. Resuming moves `lastTick` up to `at`:
   * the ticks of the pause are not "missed", they start nothing.
   */
  setSchedulePaused(ref: ScheduleRef, paused: boolean, at: number): Promise<boolean>;

  appendEvents(events: readonly NewEvent[]): Promise<void>;
  appendLogs(lines: readonly LogLine[]): Promise<void>;

  /** Run attempts (starts and resumes) of a workflow's runs, newest first (at, run id, number). */
  listWorkflowAttempts(filter: WorkflowHistoryFilter): Promise<RunAttemptRecord[]>;

  /** Runs retention may delete, oldest first (see RetentionFilter). */
  selectRunsForRetention(filter: RetentionFilter): Promise<RunRecord[]>;
  /**
   * Delete a run and everything recorded for it (steps, events, memos, logs, run attempts), only
   * while its status is one of `expect` (compare-and-set), and leave a tombstone whose directory is
   * still to be removed. False when the run does not exist or is in another status.
   */
  deleteRun(runId: string, expect: readonly RunStatus[], at: number): Promise<boolean>;
  /** Tombstones of the given run ids (lineage shows these as deleted). */
  getDeletedRuns(runIds: readonly string[]): Promise<DeletedRunRecord[]>;
  /** Tombstones whose directory has not been removed yet, oldest first. */
  pendingWorkdirRemovals(limit: number): Promise<DeletedRunRecord[]>;
  markWorkdirRemoved(runId: string, at: number): Promise<void>;

  insertRunAttempt(attempt: RunAttemptRecord): Promise<void>;
  updateRunAttempt(
    runId: string,
    number: number,
    patch: Partial<Pick<RunAttemptRecord, "outcome" | "endedAt" | "note">>,
  ): Promise<void>;
}

/** Read operations that need no transaction. */
export interface StoreReader {
  /** One summary per map step of the run that has recorded items. */
  summariseItems(runId: string): Promise<ItemSummary[]>;
  getItems(runId: string, stepId: string, filter?: ItemFilter): Promise<ItemRecord[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  getSteps(runId: string, stepIds?: readonly string[], options?: StepReadOptions): Promise<StepRecord[]>;
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  listChildRuns(runId: string): Promise<RunRecord[]>;
  listWorkflows(): Promise<WorkflowRecord[]>;
  getWorkflow(id: string): Promise<WorkflowRecord | undefined>;
  /** A tenant's stored versions of a workflow, newest first. */
  listWorkflowVersions(tenant: string, workflowId: string): Promise<WorkflowVersionRecord[]>;
  /** Every workflow the tenant stored as data, by id: its newest version and its number of versions. */
  listStoredWorkflows(tenant: string): Promise<StoredWorkflowRecord[]>;
  /** One stored version, or (no version given) the newest. */
  getWorkflowVersion(
    tenant: string,
    workflowId: string,
    version?: string,
  ): Promise<WorkflowVersionRecord | undefined>;
  listRunAttempts(runId: string): Promise<RunAttemptRecord[]>;
  listMemos(ref: StepRef): Promise<Array<{ key: string; value: Json; at: number }>>;
  /** Events after `afterSeq`, in order; for one run or (runId undefined) all runs of a tenant. */
  readEvents(filter: {
    runId?: string;
    tenant?: string;
    afterSeq?: number;
    limit?: number;
  }): Promise<CairnEvent[]>;
  /**
   * The newest event's seq (0 when there is none). Seq order is commit order, so a reader that lists
   * runs after reading it and then follows events after it misses no change.
   */
  latestEventSeq(): Promise<number>;
  readLogs(runId: string, stepId?: string): Promise<LogLine[]>;
  /** The latest run of a workflow with the given status. */
  latestRun(workflowId: string, status: RunStatus, tenant?: string): Promise<RunRecord | undefined>;
  /**
   * The newest failed run of a workflow that its lineage has not healed: no run with the same root
   * succeeded after it started (a rerun, a restart, or a resume of a run of that lineage).
   */
  latestFailedRun(workflowId: string, tenant?: string): Promise<RunRecord | undefined>;
  countRunsByStatus(): Promise<Array<{ status: RunStatus; count: number }>>;
  /**
   * For metrics, exact and without a limit: runs per workflow and status, from counts kept in the
   * transaction of every change of a run (so read in O(workflows × statuses), whatever the history),
   * and the queue depth (ready steps of running runs) per workflow, through an index. Only non-zero rows.
   */
  countForMetrics(): Promise<MetricCounts>;
}

/**
 * A store that can no longer promise durability (SQLite: an fdatasync failed) refuses every write until
 * the process restarts: its errors say so in their details (`fatal: true`), and retrying is pointless.
 */
export function isStoreFailure(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { code?: unknown }).code === "STORE" &&
    (error as { details?: { fatal?: unknown } }).details?.fatal === true
  );
}

/**
 * The transaction committed but its sync failed: the rows exist (and may be on disk), so what was made
 * for them (a run's directory) stays. The store refuses further writes until the process restarts.
 */
export function isCommittedUnsynced(error: unknown): boolean {
  return isStoreFailure(error) && (error as { details: { committed?: unknown } }).details.committed === true;
}

export interface TransactionOptions {
  /**
   * "now" (default): `transaction` resolves once the commit is durable. "later": it resolves as soon as
   * the commit is visible, and the caller must wait for `flushed()` before acknowledging anything the
   * transaction wrote or starting anything that must not run twice (a non-idempotent step). Stores
   * whose commits are durable when they return treat both alike.
   */
  readonly sync?: "now" | "later";
}

export interface Store extends StoreReader {
  readonly kind: "sqlite" | "postgres";
  readonly stats: StoreStats;
  /** Where runs' working directories live by default. */
  readonly dataDir: string;
  /** Run `fn` in one write transaction; committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Resolves once every transaction committed so far is durable. */
  flushed(): Promise<void>;
  /** Run `fn` with the row operations but no write transaction: for reads only. */
  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Subscribe to "work may be available" notifications from other processes (PostgreSQL: LISTEN/
   * NOTIFY). Optional: without it executors rely on polling. Returns an unsubscribe function.
   */
  onWork?(listener: () => void): () => void;
  /** Check the store's own consistency (SQLite: PRAGMA integrity_check). */
  checkIntegrity(): Promise<string>;
  /**
   * The schema version recorded in the store, read now in one attempt (no waiting for a database
   * that is down: readiness probes ask this), and the latest version this Cairn knows.
   */
  schemaVersion(): Promise<{ current: number; known: number }>;
  close(): Promise<void>;
}

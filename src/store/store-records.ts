/**
 * The records and filters the store port's methods take and return, besides the core records
 * (core/types.ts): patches, step references (fenced or not), workers, leases, filters and counts.
 */

import type { ItemStatus, RunRecord, RunStatus, StepRecord, WorkflowVersionRecord } from "../core/types.js";

export type RunPatch = Partial<Omit<RunRecord, "id" | "workflowId" | "tenant" | "createdAt">>;
export type StepPatch = Partial<Omit<StepRecord, "runId" | "stepId">>;

export interface StepRef {
  readonly runId: string;
  readonly stepId: string;
}
/**
 * A write by the holder of a step's lease: it applies only while the step is running under this lease
 * epoch AND this owner. The owner matters too: a worker that wrongly believed a lost commit of its
 * claim went through must not write under an epoch that another worker's claim now holds.
 */
export interface FencedStepRef extends StepRef {
  readonly epoch: number;
  /** The lease owner (worker id) the write expects; the reaper passes the owner it judged dead. */
  readonly owner: string | null;
}

export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  /** Process start time as the kernel reports it; tells a reused pid from the original process. */
  pidStart: string | null;
  bootId: string | null;
  startedAt: number;
  heartbeatAt: number;
  leaseMs: number;
  stoppedAt: number | null;
}

/**
 * The process group a step's execution started (a shell step), so that a later execution of the step
 * on the same machine can end it first: a step whose owner died must not overlap its re-run.
 */
export interface StepProcess {
  /** The lease epoch of the execution that started it. */
  readonly epoch: number;
  readonly host: string;
  readonly bootId: string | null;
  /** The group's id, which is its leader's pid. */
  readonly pgid: number;
  /** The leader's start time as the kernel reports it: tells the original leader from a reused pid. */
  readonly pidStart: string | null;
}

export interface RunActivity {
  running: boolean;
  ready: boolean;
  failed: boolean;
  /** Some step is not succeeded (pending, ready, running, failed or cancelled). */
  unfinished: boolean;
}

export interface ClaimFilter {
  readonly workerId: string;
  readonly limit: number;
  readonly now: number;
  /** Only steps of these runs (a CLI `run` drives only its own run). */
  readonly runIds?: readonly string[];
  /** Only runs of these workflows (the ones this worker can execute). */
  readonly workflowIds?: readonly string[];
  /**
   * With `workflowIds`: also runs of workflows stored as data (`workflowVersion` set), whatever their
   * id: their definition is in the store, so any worker can load it.
   */
  readonly storedVersions?: boolean;
}

/** Which runs `listRuns` returns, newest first: every condition given must hold. */
export interface RunFilter {
  tenant?: string;
  /** Runs in any of these statuses, as stored (a running run whose owner died is still `running`). */
  statuses?: readonly RunStatus[];
  workflowId?: string;
  /** Runs whose id starts with this text (case-sensitive). */
  idPrefix?: string;
  /** Runs created at or after this time (ms since the epoch). */
  createdAfter?: number;
  /** Runs created before this time (ms since the epoch). */
  createdBefore?: number;
  limit?: number;
  /** Return runs strictly older than this cursor (from a previous page). */
  before?: { createdAt: number; id: string };
}

/** Which finished runs retention (`cairn gc`) may delete. */
export interface RetentionFilter {
  /** Only runs in these statuses (finished ones: the engine never asks for running or paused). */
  readonly statuses: readonly RunStatus[];
  /** Only runs that finished (or last changed) before this time, in ms. */
  readonly finishedBefore?: number;
  readonly workflowId?: string;
  readonly tenant?: string;
  /** Spare the newest N runs of each workflow, whatever their status. */
  readonly keepLast?: number;
  readonly limit: number;
}

/** Every start and resume of one workflow's runs, newest first, a page at a time. */
export interface WorkflowHistoryFilter {
  readonly workflowId: string;
  readonly tenant?: string;
  readonly limit: number;
  /** Attempts strictly older than this one (the last of the previous page). */
  readonly before?: { readonly at: number; readonly runId: string; readonly number: number };
}

/** A deleted run's tombstone: lineage can say "deleted", and gc finishes removing its directory. */
export interface DeletedRunRecord {
  id: string;
  workflowId: string;
  tenant: string;
  workdir: string;
  deletedAt: number;
  /** null until the run's working directory is gone (a gc killed in between leaves it for the next). */
  workdirRemovedAt: number | null;
}

export interface ScheduleRef {
  readonly workflowId: string;
  readonly name: string;
}

export interface StepLease {
  readonly workerId: string;
  readonly now: number;
  readonly leaseMs: number;
}

export interface StepReadOptions {
  /** false: output, vars and checkpoint may be left out (null). Default true. */
  readonly outputs?: boolean;
}

export interface ItemFilter {
  readonly status?: ItemStatus;
  /** Only items whose index is greater (a cursor for paging). */
  readonly afterIndex?: number;
  readonly limit?: number;
}

/** A map step's recorded items at a glance: counts by status and its first failed item (by index). */
export interface ItemSummary {
  stepId: string;
  counts: Record<ItemStatus, number>;
  firstFailed: { key: string; message: string } | null;
}

export interface MetricCounts {
  runs: Array<{ workflowId: string; status: RunStatus; count: number }>;
  readySteps: Array<{ workflowId: string; count: number }>;
}

export interface StoreStats {
  /** Write transactions committed by this store handle since it was opened. */
  commits: number;
  /** SQLite, durability "full": fdatasyncs of the WAL issued so far. */
  syncs?: number;
  /** SQLite, durability "full": commits that wrote and are not known to be on disk yet. */
  unsynced?: number;
}

/** A workflow a tenant stored as data: its newest version and how many versions it has. */
export interface StoredWorkflowRecord {
  readonly newest: WorkflowVersionRecord;
  readonly versionCount: number;
}

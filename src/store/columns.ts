import type { ScheduleRecord } from "../core/schedule.js";
import type { RunAttemptRecord, RunRecord, SignalRecord, StepRecord, WorkflowRecord } from "../core/types.js";
import type { DeletedRunRecord, TokenRecord, WorkerRecord } from "./store.js";

/**
 * Column maps shared by the SQL stores: record field -> column name, and which fields hold JSON.
 * Values are stored as TEXT JSON on both databases so that one mapping serves both.
 */
export interface ColumnMap<T> {
  readonly table: string;
  readonly columns: { readonly [K in keyof T]-?: string };
  readonly json: ReadonlySet<keyof T>;
  readonly booleans?: ReadonlySet<keyof T>;
}

export const RUN_COLUMNS: ColumnMap<RunRecord> = {
  table: "runs",
  columns: {
    id: "id",
    workflowId: "workflow_id",
    tenant: "tenant",
    status: "status",
    input: "input",
    output: "output",
    error: "error",
    createdAt: "created_at",
    updatedAt: "updated_at",
    finishedAt: "finished_at",
    origin: "origin",
    parentRunId: "parent_run_id",
    rootRunId: "root_run_id",
    attempt: "attempt",
    driverId: "driver_id",
    reason: "reason",
    workdir: "workdir",
    secretNames: "secret_names",
    fingerprint: "fingerprint",
    failFast: "fail_fast",
    timeoutMs: "timeout_ms",
    deadlineAt: "deadline_at",
    source: "source",
    traceParent: "trace_parent",
    callerRunId: "caller_run_id",
    callerStepId: "caller_step_id",
    workflowVersion: "workflow_version",
  },
  json: new Set(["input", "output", "error", "secretNames"]),
  booleans: new Set(["failFast"]),
};

export const STEP_COLUMNS: ColumnMap<StepRecord> = {
  table: "steps",
  columns: {
    runId: "run_id",
    stepId: "step_id",
    status: "status",
    needs: "needs",
    attempts: "attempts",
    attemptBase: "attempt_base",
    recoveries: "recoveries",
    output: "output",
    vars: "vars",
    error: "error",
    checkpoint: "checkpoint",
    files: "files",
    startedAt: "started_at",
    finishedAt: "finished_at",
    readyAt: "ready_at",
    leaseOwner: "lease_owner",
    leaseExpiresAt: "lease_expires_at",
    leaseEpoch: "lease_epoch",
    fingerprint: "fingerprint",
    provenance: "provenance",
    wait: "wait",
  },
  json: new Set(["needs", "output", "vars", "error", "checkpoint", "files", "provenance", "wait"]),
};

export const WORKFLOW_COLUMNS: ColumnMap<WorkflowRecord> = {
  table: "workflows",
  columns: {
    id: "id",
    fingerprint: "fingerprint",
    graph: "graph",
    source: "source",
    updatedAt: "updated_at",
  },
  json: new Set(["graph"]),
};

export const WORKER_COLUMNS: ColumnMap<WorkerRecord> = {
  table: "workers",
  columns: {
    id: "id",
    host: "host",
    pid: "pid",
    pidStart: "pid_start",
    bootId: "boot_id",
    startedAt: "started_at",
    heartbeatAt: "heartbeat_at",
    leaseMs: "lease_ms",
    stoppedAt: "stopped_at",
  },
  json: new Set(),
};

export const ATTEMPT_COLUMNS: ColumnMap<RunAttemptRecord> = {
  table: "run_attempts",
  columns: {
    runId: "run_id",
    number: "number",
    at: "at",
    trigger: "trigger",
    actor: "actor",
    action: "action",
    strategy: "strategy",
    stepsDone: "steps_done",
    stepsTotal: "steps_total",
    outcome: "outcome",
    endedAt: "ended_at",
    note: "note",
  },
  json: new Set(["strategy"]),
};

/** A record field's value as stored in a column. */
export function toColumn<T>(map: ColumnMap<T>, key: keyof T, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (map.json.has(key)) return JSON.stringify(value);
  if (map.booleans?.has(key)) return value ? 1 : 0;
  return value;
}

/** A row as returned by the driver, turned into a record. Numbers that came back as strings are fixed. */
export function fromRow<T>(map: ColumnMap<T>, row: Record<string, unknown>): T {
  const record: Record<string, unknown> = {};
  for (const key of Object.keys(map.columns) as Array<keyof T>) {
    const raw = row[map.columns[key]];
    if (raw === null || raw === undefined) record[key as string] = null;
    else if (map.json.has(key)) record[key as string] = JSON.parse(raw as string);
    else if (map.booleans?.has(key)) record[key as string] = raw === 1 || raw === true;
    else if (typeof raw === "bigint") record[key as string] = Number(raw);
    else record[key as string] = raw;
  }
  return record as T;
}

export const TOKEN_COLUMNS: ColumnMap<TokenRecord> = {
  table: "tokens",
  columns: {
    id: "id",
    tenant: "tenant",
    name: "name",
    hash: "hash",
    readOnly: "read_only",
    createdAt: "created_at",
    revokedAt: "revoked_at",
  },
  json: new Set(),
  booleans: new Set(["readOnly"]),
};

export const DELETED_RUN_COLUMNS: ColumnMap<DeletedRunRecord> = {
  table: "deleted_runs",
  columns: {
    id: "id",
    workflowId: "workflow_id",
    tenant: "tenant",
    workdir: "workdir",
    deletedAt: "deleted_at",
    workdirRemovedAt: "workdir_removed_at",
  },
  json: new Set(),
  booleans: new Set(),
};

export const SIGNAL_COLUMNS: ColumnMap<SignalRecord> = {
  table: "signals",
  columns: {
    seq: "seq",
    runId: "run_id",
    name: "name",
    key: "key",
    data: "data",
    sentAt: "sent_at",
    takenBy: "taken_by",
    takenAt: "taken_at",
  },
  json: new Set(["data"]),
};

export const SCHEDULE_COLUMNS: ColumnMap<ScheduleRecord> = {
  table: "schedules",
  columns: {
    workflowId: "workflow_id",
    name: "name",
    spec: "spec",
    paused: "paused",
    lastTick: "last_tick",
    lastRunId: "last_run_id",
    updatedAt: "updated_at",
  },
  json: new Set(["spec"]),
  booleans: new Set(["paused"]),
};

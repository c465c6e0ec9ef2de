import type { ScheduleRecord } from "../../core/schedule.js";
import type {
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
  WorkflowRecord,
  WorkflowVersionRecord,
} from "../../core/types.js";
import type {
  ClaimFilter,
  DeletedRunRecord,
  FencedStepRef,
  ItemFilter,
  RetentionFilter,
  RunActivity,
  RunPatch,
  ScheduleRef,
  StepLease,
  StepPatch,
  StepProcess,
  StepReadOptions,
  StepRef,
  StoreTx,
  TokenRecord,
  WorkerRecord,
  WorkflowHistoryFilter,
} from "../store.js";
import * as claims from "./claims.js";
import * as events from "./events.js";
import * as items from "./items.js";
import * as logs from "./logs.js";
import * as memos from "./memos.js";
import * as retention from "./retention.js";
import * as runAttempts from "./run-attempts.js";
import * as runs from "./runs.js";
import * as schedules from "./schedules.js";
import * as signals from "./signals.js";
import type { StatementCache } from "./statements.js";
import * as stepProcesses from "./step-processes.js";
import * as steps from "./steps.js";
import * as tokens from "./tokens.js";
import * as workers from "./workers.js";
import * as workflows from "./workflows.js";

/**
 * SQLite row operations, each in the module of its concern. Only ever used inside the store's
 * BEGIN IMMEDIATE transaction or for reads.
 */
export class SqliteTx implements StoreTx {
  readonly #sql: StatementCache;
  constructor(sql: StatementCache) {
    this.#sql = sql;
  }

  async now(): Promise<number> {
    return Date.now();
  }

  async upsertWorkflow(workflow: WorkflowRecord): Promise<void> {
    workflows.upsertWorkflow(this.#sql, workflow);
  }
  async getWorkflow(id: string): Promise<WorkflowRecord | undefined> {
    return workflows.getWorkflow(this.#sql, id);
  }
  async putWorkflowVersion(version: WorkflowVersionRecord): Promise<boolean> {
    return workflows.putWorkflowVersion(this.#sql, version);
  }
  async getWorkflowVersion(
    tenant: string,
    workflowId: string,
    version?: string,
  ): Promise<WorkflowVersionRecord | undefined> {
    return workflows.getWorkflowVersion(this.#sql, tenant, workflowId, version);
  }

  async upsertWorker(worker: WorkerRecord): Promise<void> {
    workers.upsertWorker(this.#sql, worker);
  }
  async getWorkers(ids: readonly string[]): Promise<WorkerRecord[]> {
    return workers.getWorkers(this.#sql, ids);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return runs.getRun(this.#sql, runId);
  }
  async insertRun(run: RunRecord): Promise<void> {
    runs.insertRun(this.#sql, run);
  }
  async updateRun(runId: string, patch: RunPatch, expect?: readonly string[]): Promise<boolean> {
    return runs.updateRun(this.#sql, runId, patch, expect);
  }
  async listRunsByStatus(statuses: readonly string[], limit: number): Promise<RunRecord[]> {
    return runs.listRunsByStatus(this.#sql, statuses, limit);
  }

  async listRunsCalledBy(runId: string): Promise<RunRecord[]> {
    return runs.listRunsCalledBy(this.#sql, runId);
  }

  async getSteps(
    runId: string,
    stepIds?: readonly string[],
    options?: StepReadOptions,
  ): Promise<StepRecord[]> {
    return steps.getSteps(this.#sql, runId, stepIds, options);
  }
  async insertSteps(records: readonly StepRecord[]): Promise<void> {
    steps.insertSteps(this.#sql, records);
  }
  async updateStep(ref: StepRef, patch: StepPatch, fromStatuses?: readonly string[]): Promise<boolean> {
    return steps.updateStep(this.#sql, ref, patch, fromStatuses);
  }
  async updateOwnedStep(ref: FencedStepRef, patch: StepPatch): Promise<boolean> {
    return steps.updateOwnedStep(this.#sql, ref, patch);
  }
  async countUnsucceeded(runId: string, stepIds: readonly string[]): Promise<number> {
    return steps.countUnsucceeded(this.#sql, runId, stepIds);
  }
  async runActivity(runId: string): Promise<RunActivity> {
    return steps.runActivity(this.#sql, runId);
  }
  async runningSteps(ownerId?: string): Promise<StepRecord[]> {
    return steps.runningSteps(this.#sql, ownerId);
  }

  async claimStep(ref: StepRef, from: string, lease: StepLease): Promise<StepRecord | null> {
    return claims.claimStep(this.#sql, ref, from, lease);
  }
  async nextReadyAt(filter: Omit<ClaimFilter, "limit" | "now">): Promise<number | null> {
    return claims.nextReadyAt(this.#sql, filter);
  }
  async selectClaimable(filter: ClaimFilter): Promise<StepRef[]> {
    return claims.selectClaimable(this.#sql, filter);
  }

  async recordStepProcess(ref: FencedStepRef, process: Omit<StepProcess, "epoch">): Promise<boolean> {
    return stepProcesses.recordStepProcess(this.#sql, ref, process);
  }
  async getStepProcess(ref: StepRef): Promise<StepProcess | undefined> {
    return stepProcesses.getStepProcess(this.#sql, ref);
  }

  async syncSchedules(
    workflowId: string,
    list: readonly { name: string; spec: Json }[],
    now: number,
  ): Promise<void> {
    return schedules.syncSchedules(this.#sql, workflowId, list, now);
  }
  async listSchedules(workflowId?: string): Promise<ScheduleRecord[]> {
    return schedules.listSchedules(this.#sql, workflowId);
  }
  async advanceSchedule(ref: ScheduleRef, tick: number, runId: string | null, at: number): Promise<boolean> {
    return schedules.advanceSchedule(this.#sql, ref, tick, runId, at);
  }
  async setSchedulePaused(ref: ScheduleRef, paused: boolean, at: number): Promise<boolean> {
    return schedules.setSchedulePaused(this.#sql, ref, paused, at);
  }

  async insertSignal(signal: Omit<SignalRecord, "seq" | "takenBy" | "takenAt">): Promise<boolean> {
    return signals.insertSignal(this.#sql, signal);
  }
  async pendingSignal(runId: string, name: string): Promise<SignalRecord | undefined> {
    return signals.pendingSignal(this.#sql, runId, name);
  }
  async takeSignal(seq: number, by: StepRef, at: number): Promise<boolean> {
    return signals.takeSignal(this.#sql, seq, by, at);
  }
  async listSignals(runId: string): Promise<SignalRecord[]> {
    return signals.listSignals(this.#sql, runId);
  }

  async getMemo(ref: StepRef, key: string): Promise<{ value: Json } | undefined> {
    return memos.getMemo(this.#sql, ref, key);
  }
  async putMemo(ref: FencedStepRef, key: string, value: Json): Promise<boolean> {
    return memos.putMemo(this.#sql, ref, key, value);
  }
  async deleteMemos(runId: string, stepIds: readonly string[]): Promise<void> {
    memos.deleteMemos(this.#sql, runId, stepIds);
  }
  async listMemos(ref: StepRef): Promise<Array<{ key: string; value: Json; at: number }>> {
    return memos.listMemos(this.#sql, ref);
  }

  async recordItems(ref: FencedStepRef, records: readonly ItemRecord[]): Promise<boolean> {
    return items.recordItems(this.#sql, ref, records);
  }
  async getItems(runId: string, stepId: string, filter?: ItemFilter): Promise<ItemRecord[]> {
    return items.getItems(this.#sql, runId, stepId, filter);
  }
  async countItems(runId: string, stepId: string): Promise<Record<ItemStatus, number>> {
    return items.countItems(this.#sql, runId, stepId);
  }
  async copySucceededItems(from: StepRef, toRunId: string, except: readonly string[] = []): Promise<number> {
    return items.copySucceededItems(this.#sql, from, toRunId, except);
  }
  async dropItems(ref: FencedStepRef, keys: readonly string[]): Promise<boolean> {
    return items.dropItems(this.#sql, ref, keys);
  }
  async deleteItems(runId: string, stepIds: readonly string[]): Promise<void> {
    items.deleteItems(this.#sql, runId, stepIds);
  }

  async appendEvents(newEvents: readonly NewEvent[]): Promise<void> {
    events.appendEvents(this.#sql, newEvents);
  }
  async appendLogs(lines: readonly LogLine[]): Promise<void> {
    logs.appendLogs(this.#sql, lines);
  }

  async insertToken(token: TokenRecord): Promise<void> {
    tokens.insertToken(this.#sql, token);
  }
  async revokeToken(id: string, at: number): Promise<boolean> {
    return tokens.revokeToken(this.#sql, id, at);
  }

  async listWorkflowAttempts(filter: WorkflowHistoryFilter): Promise<RunAttemptRecord[]> {
    return runAttempts.listWorkflowAttempts(this.#sql, filter);
  }
  async insertRunAttempt(attempt: RunAttemptRecord): Promise<void> {
    runAttempts.insertRunAttempt(this.#sql, attempt);
  }
  async updateRunAttempt(
    runId: string,
    number: number,
    patch: Partial<Pick<RunAttemptRecord, "outcome" | "endedAt" | "note">>,
  ): Promise<void> {
    runAttempts.updateRunAttempt(this.#sql, runId, number, patch);
  }

  async selectRunsForRetention(filter: RetentionFilter): Promise<RunRecord[]> {
    return retention.selectRunsForRetention(this.#sql, filter);
  }
  async deleteRun(runId: string, expect: readonly RunStatus[], at: number): Promise<boolean> {
    return retention.deleteRun(this.#sql, runId, expect, at);
  }
  async getDeletedRuns(runIds: readonly string[]): Promise<DeletedRunRecord[]> {
    return retention.getDeletedRuns(this.#sql, runIds);
  }
  async pendingWorkdirRemovals(limit: number): Promise<DeletedRunRecord[]> {
    return retention.pendingWorkdirRemovals(this.#sql, limit);
  }
  async markWorkdirRemoved(runId: string, at: number): Promise<void> {
    retention.markWorkdirRemoved(this.#sql, runId, at);
  }
}

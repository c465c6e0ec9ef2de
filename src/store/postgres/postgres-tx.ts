import { randomUUID } from "node:crypto";
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
  StepRef,
  StoreTx,
  TokenRecord,
  WorkerRecord,
  WorkflowHistoryFilter,
} from "../store.js";
import * as claims from "./claims.js";
import { insertEvents } from "./events.js";
import * as items from "./items.js";
import { insertLogs } from "./logs.js";
import * as memos from "./memos.js";
import { NOW_MS, type Queryable, type Row } from "./pg-sql.js";
import * as retention from "./retention.js";
import * as runAttempts from "./run-attempts.js";
import * as runs from "./runs.js";
import * as schedules from "./schedules.js";
import * as signals from "./signals.js";
import * as stepProcesses from "./step-processes.js";
import * as steps from "./steps.js";
import * as tokens from "./tokens.js";
import * as workers from "./workers.js";
import * as workflows from "./workflows.js";

const key = (ref: StepRef) => `${ref.runId}\u0000${ref.stepId}`;

/**
 * PostgreSQL row operations, each in the module of its concern; this class adds what a transaction
 * keeps: whether it wrote, its buffered events and the workers to wake at commit.
 *
 * In a write transaction (`write: true`) `getRun` locks the run row (FOR UPDATE), so that the
 * transactions recording outcomes of one run follow each other: two parents finishing at once on two
 * workers both see the other's result and their join becomes ready. Runs are always locked in id order
 * (the engine sorts outcomes; claims and stale-lease scans are sorted here) so that lockers do not
 * deadlock.
 */
export class PostgresTx implements StoreTx {
  readonly #db: Queryable;
  /** The same connection, noting that the transaction wrote (it then needs a commit token). */
  readonly #writer: Queryable;
  readonly #write: boolean;
  /** Events are written at commit, under a lock, so that `seq` order is commit order (see prepareCommit). */
  #events: NewEvent[] = [];
  /** Steps made ready (and not claimed here) and runs set running: idle workers are notified at commit. */
  readonly #wakeFor = new Set<string>();
  #wrote = false;

  constructor(db: Queryable, options: { write: boolean }) {
    this.#db = db;
    this.#write = options.write;
    this.#writer = {
      query: (text, values) => {
        this.#wrote = true;
        return db.query(text, values);
      },
    };
  }

  async now(): Promise<number> {
    const { rows } = await this.#db.query(`SELECT ${NOW_MS} AS now`);
    return rows[0]!.now as number;
  }

  upsertWorkflow(workflow: WorkflowRecord): Promise<void> {
    return workflows.upsertWorkflow(this.#writer, workflow);
  }
  getWorkflow(id: string): Promise<WorkflowRecord | undefined> {
    return workflows.getWorkflow(this.#db, id);
  }
  putWorkflowVersion(version: WorkflowVersionRecord): Promise<boolean> {
    return workflows.putWorkflowVersion(this.#writer, version);
  }
  getWorkflowVersion(
    tenant: string,
    workflowId: string,
    version?: string,
  ): Promise<WorkflowVersionRecord | undefined> {
    return workflows.getWorkflowVersion(this.#db, tenant, workflowId, version);
  }

  upsertWorker(worker: WorkerRecord): Promise<void> {
    return workers.upsertWorker(this.#writer, worker);
  }
  getWorkers(ids: readonly string[]): Promise<WorkerRecord[]> {
    return workers.getWorkers(this.#db, ids);
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return runs.getRun(this.#db, runId, { lock: this.#write });
  }
  insertRun(run: RunRecord): Promise<void> {
    return runs.insertRun(this.#writer, run);
  }
  async updateRun(runId: string, patch: RunPatch, expect?: readonly string[]): Promise<boolean> {
    const ok = await runs.updateRun(this.#writer, runId, patch, expect);
    // A run that runs again (resume) may have ready steps that no step update announces.
    if (ok && patch.status === "running") this.#wakeFor.add(`run\u0000${runId}`);
    return ok;
  }
  listRunsByStatus(statuses: readonly string[], limit: number): Promise<RunRecord[]> {
    return runs.listRunsByStatus(this.#db, statuses, limit);
  }

  listRunsCalledBy(runId: string): Promise<RunRecord[]> {
    return runs.listRunsCalledBy(this.#db, runId);
  }

  getSteps(runId: string, stepIds?: readonly string[]): Promise<StepRecord[]> {
    return steps.getSteps(this.#db, runId, stepIds);
  }
  async insertSteps(records: readonly StepRecord[]): Promise<void> {
    await steps.insertSteps(this.#writer, records);
    for (const step of records) if (step.status === "ready") this.#wakeFor.add(key(step));
  }
  async updateStep(ref: StepRef, patch: StepPatch, fromStatuses?: readonly string[]): Promise<boolean> {
    const ok = await steps.updateStep(this.#writer, ref, patch, fromStatuses);
    if (ok) this.#noteStatus(ref, patch.status);
    return ok;
  }
  async updateOwnedStep(ref: FencedStepRef, patch: StepPatch): Promise<boolean> {
    const ok = await steps.updateOwnedStep(this.#writer, ref, patch);
    if (ok) this.#noteStatus(ref, patch.status);
    return ok;
  }
  countUnsucceeded(runId: string, stepIds: readonly string[]): Promise<number> {
    return steps.countUnsucceeded(this.#db, runId, stepIds);
  }
  runActivity(runId: string): Promise<RunActivity> {
    return steps.runActivity(this.#db, runId);
  }
  runningSteps(ownerId?: string): Promise<StepRecord[]> {
    return steps.runningSteps(this.#db, ownerId);
  }

  async claimStep(ref: StepRef, from: string, lease: StepLease): Promise<StepRecord | null> {
    const step = await claims.claimStep(this.#db, ref, from, lease);
    if (step) this.#noteStatus(ref, "running");
    return step;
  }
  nextReadyAt(filter: Omit<ClaimFilter, "limit" | "now">): Promise<number | null> {
    return claims.nextReadyAt(this.#db, filter);
  }
  selectClaimable(filter: ClaimFilter): Promise<StepRef[]> {
    return claims.selectClaimable(this.#db, filter, { lock: this.#write });
  }

  /** A step made ready is work for others, unless this transaction then claimed (or finished) it itself. */
  #noteStatus(ref: StepRef, status: StepRecord["status"] | undefined): void {
    if (status === "ready") this.#wakeFor.add(key(ref));
    else if (status !== undefined) this.#wakeFor.delete(key(ref));
  }

  recordStepProcess(ref: FencedStepRef, process: Omit<StepProcess, "epoch">): Promise<boolean> {
    return stepProcesses.recordStepProcess(this.#writer, ref, process);
  }
  getStepProcess(ref: StepRef): Promise<StepProcess | undefined> {
    return stepProcesses.getStepProcess(this.#db, ref);
  }

  syncSchedules(
    workflowId: string,
    list: readonly { name: string; spec: Json }[],
    now: number,
  ): Promise<void> {
    return schedules.syncSchedules(this.#writer, workflowId, list, now);
  }
  listSchedules(workflowId?: string): Promise<ScheduleRecord[]> {
    return schedules.listSchedules(this.#db, workflowId);
  }
  advanceSchedule(ref: ScheduleRef, tick: number, runId: string | null, at: number): Promise<boolean> {
    return schedules.advanceSchedule(this.#writer, ref, tick, runId, at);
  }
  setSchedulePaused(ref: ScheduleRef, paused: boolean, at: number): Promise<boolean> {
    return schedules.setSchedulePaused(this.#writer, ref, paused, at);
  }

  insertSignal(signal: Omit<SignalRecord, "seq" | "takenBy" | "takenAt">): Promise<boolean> {
    return signals.insertSignal(this.#writer, signal);
  }
  pendingSignal(runId: string, name: string): Promise<SignalRecord | undefined> {
    return signals.pendingSignal(this.#db, runId, name);
  }
  takeSignal(seq: number, by: StepRef, at: number): Promise<boolean> {
    return signals.takeSignal(this.#writer, seq, by, at);
  }
  listSignals(runId: string): Promise<SignalRecord[]> {
    return signals.listSignals(this.#db, runId);
  }

  getMemo(ref: StepRef, memoKey: string): Promise<{ value: Json } | undefined> {
    return memos.getMemo(this.#db, ref, memoKey);
  }
  putMemo(ref: FencedStepRef, memoKey: string, value: Json): Promise<boolean> {
    return memos.putMemo(this.#writer, ref, memoKey, value);
  }
  deleteMemos(runId: string, stepIds: readonly string[]): Promise<void> {
    return memos.deleteMemos(this.#writer, runId, stepIds);
  }
  listMemos(ref: StepRef): Promise<Array<{ key: string; value: Json; at: number }>> {
    return memos.listMemos(this.#db, ref);
  }

  recordItems(ref: FencedStepRef, records: readonly ItemRecord[]): Promise<boolean> {
    return items.recordItems(this.#writer, ref, records);
  }
  getItems(runId: string, stepId: string, filter?: ItemFilter): Promise<ItemRecord[]> {
    return items.getItems(this.#db, runId, stepId, filter);
  }
  countItems(runId: string, stepId: string): Promise<Record<ItemStatus, number>> {
    return items.countItems(this.#db, runId, stepId);
  }
  copySucceededItems(from: StepRef, toRunId: string, except: readonly string[] = []): Promise<number> {
    return items.copySucceededItems(this.#writer, from, toRunId, except);
  }
  dropItems(ref: FencedStepRef, keys: readonly string[]): Promise<boolean> {
    return items.dropItems(this.#writer, ref, keys);
  }
  deleteItems(runId: string, stepIds: readonly string[]): Promise<void> {
    return items.deleteItems(this.#writer, runId, stepIds);
  }

  async appendEvents(events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.#wrote = true;
    this.#events.push(...events);
    if (!this.#write) await this.#writeEvents("");
  }

  #writeEvents(
    extra: string,
    extraValues: readonly unknown[] = [],
    token: string | null = null,
  ): Promise<Row[]> {
    const events = this.#events;
    this.#events = [];
    return insertEvents(this.#db, events, extra, extraValues, token);
  }

  /**
   * The last statement before COMMIT: write the buffered events, notify idle workers when steps became
   * ready (delivered at commit), and write a random commit token, by which the outcome of a COMMIT whose
   * connection is lost is read back (commitOutcome). null when the transaction wrote nothing.
   */
  async prepareCommit(notify: { channel: string; payload: string }): Promise<string | null> {
    if (!this.#wrote) return null;
    const token = randomUUID();
    const values = this.#wakeFor.size > 0 ? [notify.channel, notify.payload] : [];
    if (this.#events.length > 0) {
      const notifies = values.length > 0 ? ", pg_notify($9, $10) AS notified" : "";
      await this.#writeEvents(notifies, values, token);
    } else {
      const notifies = values.length > 0 ? ", pg_notify($2, $3) AS notified" : "";
      await this.#db.query(
        `WITH token AS (INSERT INTO commit_tokens (token, at) VALUES ($1, ${NOW_MS})) SELECT 1 AS done${notifies}`,
        [token, ...values],
      );
    }
    return token;
  }

  async appendLogs(lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await insertLogs(this.#writer, lines);
  }

  insertToken(token: TokenRecord): Promise<void> {
    return tokens.insertToken(this.#writer, token);
  }
  revokeToken(id: string, at: number): Promise<boolean> {
    return tokens.revokeToken(this.#writer, id, at);
  }

  listWorkflowAttempts(filter: WorkflowHistoryFilter): Promise<RunAttemptRecord[]> {
    return runAttempts.listWorkflowAttempts(this.#db, filter);
  }
  insertRunAttempt(attempt: RunAttemptRecord): Promise<void> {
    return runAttempts.insertRunAttempt(this.#writer, attempt);
  }
  updateRunAttempt(
    runId: string,
    number: number,
    patch: Partial<Pick<RunAttemptRecord, "outcome" | "endedAt" | "note">>,
  ): Promise<void> {
    return runAttempts.updateRunAttempt(this.#writer, runId, number, patch);
  }

  selectRunsForRetention(filter: RetentionFilter): Promise<RunRecord[]> {
    return retention.selectRunsForRetention(this.#db, filter);
  }
  deleteRun(runId: string, expect: readonly RunStatus[], at: number): Promise<boolean> {
    return retention.deleteRun(this.#writer, runId, expect, at);
  }
  getDeletedRuns(runIds: readonly string[]): Promise<DeletedRunRecord[]> {
    return retention.getDeletedRuns(this.#db, runIds);
  }
  pendingWorkdirRemovals(limit: number): Promise<DeletedRunRecord[]> {
    return retention.pendingWorkdirRemovals(this.#db, limit);
  }
  markWorkdirRemoved(runId: string, at: number): Promise<void> {
    return retention.markWorkdirRemoved(this.#writer, runId, at);
  }
}

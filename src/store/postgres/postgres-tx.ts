import { randomUUID } from "node:crypto";
import type {
  Json,
  LogLine,
  NewEvent,
  RunAttemptRecord,
  RunRecord,
  RunStatus,
  SignalRecord,
  StepRecord,
  WorkflowRecord,
} from "../../core/types.js";
import {
  ATTEMPT_COLUMNS,
  fromRow,
  RUN_COLUMNS,
  STEP_COLUMNS,
  TOKEN_COLUMNS,
  WORKER_COLUMNS,
  WORKFLOW_COLUMNS,
} from "../columns.js";
import { stepProcessFromRow } from "../step-processes.js";
import { unfinishedStepSql } from "../step-statuses.js";
import type {
  ClaimFilter,
  DeletedRunRecord,
  FencedStepRef,
  RetentionFilter,
  RunActivity,
  RunPatch,
  StepLease,
  StepPatch,
  StepProcess,
  StepRef,
  StoreTx,
  TokenRecord,
  WorkerRecord,
  WorkflowHistoryFilter,
} from "../store.js";
import { nextReadyAt, selectClaimable } from "./claims.js";
import { insertEvents, insertLogs } from "./history.js";
import * as memos from "./memos.js";
import { insertSql, NOW_MS, Params, type Queryable, type Row, setClause, upsertSql } from "./pg-sql.js";
import * as retention from "./retention.js";
import * as signals from "./signals.js";
import { listWorkflowAttempts } from "./workflow-history.js";

/** Rows per multi-row INSERT: 1000 steps × 20 columns stays well under PostgreSQL's 65,535 parameters. */
const INSERT_CHUNK = 1000;

const key = (ref: StepRef) => `${ref.runId}\u0000${ref.stepId}`;

/**
 * PostgreSQL row operations. In a write transaction (`write: true`) `getRun` locks the run row
 * (FOR UPDATE), so that the transactions recording outcomes of one run follow each other: two parents
 * finishing at once on two workers both see the other's result and their join becomes ready. Runs
 * are always locked in id order (the engine sorts outcomes; claims and stale-lease scans are sorted
 * here) so that lockers do not deadlock.
 */
export class PostgresTx implements StoreTx {
  readonly #db: Queryable;
  readonly #write: boolean;
  /** Events are written at commit, under a lock, so that `seq` order is commit order (see prepareCommit). */
  #events: NewEvent[] = [];
  /** Steps made ready (and not claimed here) and runs set running: idle workers are notified at commit. */
  readonly #wakeFor = new Set<string>();
  #wrote = false;

  constructor(db: Queryable, options: { write: boolean }) {
    this.#db = db;
    this.#write = options.write;
  }

  async #rows(sql: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.#db.query(sql, values)).rows;
  }

  async #exec(sql: string, values: unknown[] = []): Promise<number> {
    this.#wrote = true;
    return (await this.#db.query(sql, values)).rowCount ?? 0;
  }

  async now(): Promise<number> {
    const [row] = await this.#rows(`SELECT ${NOW_MS} AS now`);
    return row!.now as number;
  }

  async upsertWorkflow(workflow: WorkflowRecord): Promise<void> {
    // Every worker registers its workflows when it starts; an unchanged record is not written again
    // (a 10,000-step graph is 1.6 MB of WAL), so updated_at is when the stored definition last changed.
    const p = new Params();
    await this.#exec(
      `${upsertSql(WORKFLOW_COLUMNS, workflow, "id", p)}
       WHERE workflows.fingerprint IS DISTINCT FROM excluded.fingerprint
         OR workflows.graph IS DISTINCT FROM excluded.graph
         OR workflows.source IS DISTINCT FROM excluded.source`,
      p.values,
    );
  }

  async getWorkflow(id: string): Promise<WorkflowRecord | undefined> {
    const [row] = await this.#rows("SELECT * FROM workflows WHERE id = $1", [id]);
    return row && fromRow(WORKFLOW_COLUMNS, row);
  }

  async upsertWorker(worker: WorkerRecord): Promise<void> {
    const p = new Params();
    await this.#exec(upsertSql(WORKER_COLUMNS, worker, "id", p), p.values);
  }

  async getWorkers(ids: readonly string[]): Promise<WorkerRecord[]> {
    if (ids.length === 0) return [];
    return (await this.#rows("SELECT * FROM workers WHERE id = ANY($1::text[])", [ids])).map((r) =>
      fromRow(WORKER_COLUMNS, r),
    );
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const lock = this.#write ? " FOR UPDATE" : "";
    const [row] = await this.#rows(`SELECT * FROM runs WHERE id = $1${lock}`, [runId]);
    return row && fromRow(RUN_COLUMNS, row);
  }

  async insertRun(run: RunRecord): Promise<void> {
    const p = new Params();
    await this.#exec(insertSql(RUN_COLUMNS, [run], p), p.values);
  }

  async updateRun(runId: string, patch: RunPatch, expect?: readonly string[]): Promise<boolean> {
    const p = new Params();
    const set = setClause<RunRecord>(RUN_COLUMNS, patch, p) ?? "id = id";
    const guard = expect ? ` AND status = ANY(${p.add(expect)}::text[])` : "";
    const ok =
      (await this.#exec(`UPDATE runs SET ${set} WHERE id = ${p.add(runId)}${guard}`, p.values)) === 1;
    // A run that runs again (resume) may have ready steps that no step update announces.
    if (ok && patch.status === "running") this.#wakeFor.add(`run\u0000${runId}`);
    return ok;
  }

  async listRunsByStatus(statuses: readonly string[], limit: number): Promise<RunRecord[]> {
    const rows = await this.#rows(
      "SELECT * FROM runs WHERE status = ANY($1::text[]) ORDER BY created_at, id LIMIT $2",
      [statuses, limit],
    );
    return rows.map((r) => fromRow(RUN_COLUMNS, r));
  }

  async getSteps(runId: string, stepIds?: readonly string[]): Promise<StepRecord[]> {
    if (stepIds?.length === 0) return [];
    const rows = stepIds
      ? await this.#rows(
          "SELECT * FROM steps WHERE run_id = $1 AND step_id = ANY($2::text[]) ORDER BY row_order",
          [runId, stepIds],
        )
      : await this.#rows("SELECT * FROM steps WHERE run_id = $1 ORDER BY row_order", [runId]);
    return rows.map((r) => fromRow(STEP_COLUMNS, r));
  }

  async insertSteps(steps: readonly StepRecord[]): Promise<void> {
    for (let i = 0; i < steps.length; i += INSERT_CHUNK) {
      const p = new Params();
      await this.#exec(insertSql(STEP_COLUMNS, steps.slice(i, i + INSERT_CHUNK), p), p.values);
    }
    for (const step of steps) if (step.status === "ready") this.#wakeFor.add(key(step));
  }

  async updateStep(ref: StepRef, patch: StepPatch, fromStatuses?: readonly string[]): Promise<boolean> {
    const p = new Params();
    const set = setClause<StepRecord>(STEP_COLUMNS, patch, p) ?? "status = status";
    const guard = fromStatuses ? ` AND status = ANY(${p.add(fromStatuses)}::text[])` : "";
    const sql = `UPDATE steps SET ${set} WHERE run_id = ${p.add(ref.runId)} AND step_id = ${p.add(ref.stepId)}${guard}`;
    const ok = (await this.#exec(sql, p.values)) === 1;
    if (ok) this.#noteStatus(ref, patch.status);
    return ok;
  }

  async updateOwnedStep(ref: FencedStepRef, patch: StepPatch): Promise<boolean> {
    const p = new Params();
    const set = setClause<StepRecord>(STEP_COLUMNS, patch, p) ?? "status = status";
    const sql = `UPDATE steps SET ${set} WHERE run_id = ${p.add(ref.runId)} AND step_id = ${p.add(ref.stepId)}
      AND lease_epoch = ${p.add(ref.epoch)} AND lease_owner IS NOT DISTINCT FROM ${p.add(ref.owner)}::text
      AND status = 'running'`;
    const ok = (await this.#exec(sql, p.values)) === 1;
    if (ok) this.#noteStatus(ref, patch.status);
    return ok;
  }

  async claimStep(ref: StepRef, from: string, lease: StepLease): Promise<StepRecord | null> {
    const [row] = await this.#rows(
      `UPDATE steps SET status = 'running', attempts = attempts + 1, lease_epoch = lease_epoch + 1,
         lease_owner = $1, lease_expires_at = $2, started_at = $3, finished_at = NULL, ready_at = NULL
       WHERE run_id = $4 AND step_id = $5 AND status = $6
       RETURNING *`,
      [lease.workerId, lease.now + lease.leaseMs, lease.now, ref.runId, ref.stepId, from],
    );
    if (!row) return null;
    this.#noteStatus(ref, "running");
    return fromRow(STEP_COLUMNS, row);
  }

  /** A step made ready is work for others, unless this transaction then claimed (or finished) it itself. */
  #noteStatus(ref: StepRef, status: StepRecord["status"] | undefined): void {
    if (status === "ready") this.#wakeFor.add(key(ref));
    else if (status !== undefined) this.#wakeFor.delete(key(ref));
  }

  async countUnsucceeded(runId: string, stepIds: readonly string[]): Promise<number> {
    if (stepIds.length === 0) return 0;
    const [row] = await this.#rows(
      `SELECT count(*)::int AS n FROM steps WHERE run_id = $1 AND ${unfinishedStepSql()} AND step_id = ANY($2::text[])`,
      [runId, stepIds],
    );
    return Number(row?.n ?? 0);
  }

  async runActivity(runId: string): Promise<RunActivity> {
    const [row] = await this.#rows(
      `SELECT
         EXISTS (SELECT 1 FROM steps WHERE run_id = $1 AND status = 'running') AS running,
         EXISTS (SELECT 1 FROM steps WHERE run_id = $1 AND status = 'ready') AS ready,
         EXISTS (SELECT 1 FROM steps WHERE run_id = $1 AND status = 'failed') AS failed,
         EXISTS (SELECT 1 FROM steps WHERE run_id = $1 AND ${unfinishedStepSql()}) AS unfinished`,
      [runId],
    );
    return {
      running: row!.running === true,
      ready: row!.ready === true,
      failed: row!.failed === true,
      unfinished: row!.unfinished === true,
    };
  }

  async runningSteps(ownerId?: string): Promise<StepRecord[]> {
    // Ordered by run: recovery locks the runs of these steps one by one, in the same order as everyone else.
    const rows =
      ownerId === undefined
        ? await this.#rows("SELECT * FROM steps WHERE status = 'running' ORDER BY run_id, step_id")
        : await this.#rows(
            "SELECT * FROM steps WHERE status = 'running' AND lease_owner = $1 ORDER BY run_id, step_id",
            [ownerId],
          );
    return rows.map((r) => fromRow(STEP_COLUMNS, r));
  }

  async nextReadyAt(filter: Omit<ClaimFilter, "limit" | "now">): Promise<number | null> {
    return nextReadyAt(this.#db, filter);
  }

  async selectClaimable(filter: ClaimFilter): Promise<StepRef[]> {
    return selectClaimable(this.#db, filter, { lock: this.#write });
  }

  async recordStepProcess(ref: FencedStepRef, process: Omit<StepProcess, "epoch">): Promise<boolean> {
    // FOR SHARE: a takeover cannot slip in between the check and the write (as for memos).
    return (
      (await this.#exec(
        `INSERT INTO step_processes (run_id, step_id, epoch, host, boot_id, pgid, pid_start)
         SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (
           SELECT 1 FROM steps WHERE run_id = $1 AND step_id = $2 AND lease_epoch = $3
             AND lease_owner IS NOT DISTINCT FROM $8 AND status = 'running' FOR SHARE)
         ON CONFLICT (run_id, step_id) DO UPDATE SET epoch = excluded.epoch, host = excluded.host,
           boot_id = excluded.boot_id, pgid = excluded.pgid, pid_start = excluded.pid_start`,
        [
          ref.runId,
          ref.stepId,
          ref.epoch,
          process.host,
          process.bootId,
          process.pgid,
          process.pidStart,
          ref.owner,
        ],
      )) === 1
    );
  }

  async getStepProcess(ref: StepRef): Promise<StepProcess | undefined> {
    const [row] = await this.#rows(
      "SELECT epoch, host, boot_id, pgid, pid_start FROM step_processes WHERE run_id = $1 AND step_id = $2",
      [ref.runId, ref.stepId],
    );
    return row && stepProcessFromRow(row);
  }

  insertSignal(signal: Omit<SignalRecord, "seq" | "takenBy" | "takenAt">): Promise<boolean> {
    this.#wrote = true;
    return signals.insertSignal(this.#db, signal);
  }
  pendingSignal(runId: string, name: string): Promise<SignalRecord | undefined> {
    return signals.pendingSignal(this.#db, runId, name);
  }
  takeSignal(seq: number, by: StepRef, at: number): Promise<boolean> {
    this.#wrote = true;
    return signals.takeSignal(this.#db, seq, by, at);
  }
  listSignals(runId: string): Promise<SignalRecord[]> {
    return signals.listSignals(this.#db, runId);
  }

  getMemo(ref: StepRef, memoKey: string): Promise<{ value: Json } | undefined> {
    return memos.getMemo(this.#db, ref, memoKey);
  }

  putMemo(ref: FencedStepRef, memoKey: string, value: Json): Promise<boolean> {
    this.#wrote = true;
    return memos.putMemo(this.#db, ref, memoKey, value);
  }

  async deleteMemos(runId: string, stepIds: readonly string[]): Promise<void> {
    if (stepIds.length === 0) return;
    await this.#exec("DELETE FROM memos WHERE run_id = $1 AND step_id = ANY($2::text[])", [runId, stepIds]);
  }

  listMemos(ref: StepRef): Promise<Array<{ key: string; value: Json; at: number }>> {
    return memos.listMemos(this.#db, ref);
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
      await this.#rows(
        `WITH token AS (INSERT INTO commit_tokens (token, at) VALUES ($1, ${NOW_MS})) SELECT 1 AS done${notifies}`,
        [token, ...values],
      );
    }
    return token;
  }

  async appendLogs(lines: readonly LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    this.#wrote = true;
    await insertLogs(this.#db, lines);
  }

  async insertToken(token: TokenRecord): Promise<void> {
    const p = new Params();
    await this.#exec(insertSql(TOKEN_COLUMNS, [token], p), p.values);
  }

  async revokeToken(id: string, at: number): Promise<boolean> {
    return (
      (await this.#exec("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [
        at,
        id,
      ])) === 1
    );
  }

  async listWorkflowAttempts(filter: WorkflowHistoryFilter): Promise<RunAttemptRecord[]> {
    return listWorkflowAttempts(this.#db, filter);
  }

  async selectRunsForRetention(filter: RetentionFilter): Promise<RunRecord[]> {
    return retention.selectRunsForRetention(this.#db, filter);
  }

  async deleteRun(runId: string, expect: readonly RunStatus[], at: number): Promise<boolean> {
    this.#wrote = true;
    return retention.deleteRun(this.#db, runId, expect, at);
  }

  async getDeletedRuns(runIds: readonly string[]): Promise<DeletedRunRecord[]> {
    return retention.getDeletedRuns(this.#db, runIds);
  }

  async pendingWorkdirRemovals(limit: number): Promise<DeletedRunRecord[]> {
    return retention.pendingWorkdirRemovals(this.#db, limit);
  }

  async markWorkdirRemoved(runId: string, at: number): Promise<void> {
    this.#wrote = true;
    await retention.markWorkdirRemoved(this.#db, runId, at);
  }

  async insertRunAttempt(attempt: RunAttemptRecord): Promise<void> {
    const p = new Params();
    await this.#exec(insertSql(ATTEMPT_COLUMNS, [attempt], p), p.values);
  }

  async updateRunAttempt(
    runId: string,
    number: number,
    patch: Partial<Pick<RunAttemptRecord, "outcome" | "endedAt" | "note">>,
  ): Promise<void> {
    const p = new Params();
    const set = setClause<RunAttemptRecord>(ATTEMPT_COLUMNS, patch, p);
    if (!set) return;
    await this.#exec(
      `UPDATE run_attempts SET ${set} WHERE run_id = ${p.add(runId)} AND number = ${p.add(number)}`,
      p.values,
    );
  }
}

import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { CairnError } from "../../core/errors.js";
import type {
  CairnEvent,
  ItemRecord,
  Json,
  LogLine,
  RunAttemptRecord,
  RunRecord,
  RunStatus,
  StepRecord,
  WorkflowRecord,
  WorkflowVersionRecord,
} from "../../core/types.js";
import { Mutex } from "../mutex.js";
import type {
  ItemFilter,
  ItemSummary,
  MetricCounts,
  RunFilter,
  StepReadOptions,
  StepRef,
  Store,
  StoredWorkflowRecord,
  StoreStats,
  StoreTx,
  TokenRecord,
  TransactionOptions,
} from "../store.js";
import type { TokenStore } from "../tokens.js";
import * as events from "./events.js";
import { checkIntegrity } from "./integrity.js";
import * as items from "./items.js";
import * as logs from "./logs.js";
import * as memos from "./memos.js";
import { countForMetrics } from "./metrics.js";
import { migrate, SQLITE_MIGRATIONS } from "./migrations.js";
import * as runAttempts from "./run-attempts.js";
import { listRuns } from "./run-list.js";
import * as runs from "./runs.js";
import { SqliteTx } from "./sqlite-tx.js";
import { StatementCache } from "./statements.js";
import * as steps from "./steps.js";
import * as tokens from "./tokens.js";
import { WalSync } from "./wal-sync.js";
import * as workflows from "./workflows.js";

export interface SqliteStoreOptions {
  /**
   * "full" (default): a step reported as recorded survives a power loss: every commit that wrote is
   * fdatasynced, as `synchronous=FULL` does, but on a background thread (see WalSync).
   * "normal": survives a process crash; an OS crash or power loss may lose the commits since the last
   * WAL checkpoint (at most ~1,000 pages), and those steps run again. See CairnOptions.durability.
   */
  durability?: "full" | "normal";
  busyTimeoutMs?: number;
}

/** The embedded default store: one SQLite file in WAL mode; every write transaction is BEGIN IMMEDIATE. */
export class SqliteStore implements Store, TokenStore {
  readonly kind = "sqlite" as const;
  #commits = 0;
  readonly dataDir: string;
  readonly file: string;
  readonly #db: Database.Database;
  readonly #sql: StatementCache;
  readonly #tx: SqliteTx;
  readonly #mutex = new Mutex();
  /** null with durability "normal": commits are then not synced (beyond SQLite's checkpoints). */
  readonly #wal: WalSync | null;
  #closed = false;

  private constructor(file: string, db: Database.Database, wal: WalSync | null) {
    this.file = file;
    this.dataDir = path.dirname(file);
    this.#db = db;
    this.#sql = new StatementCache(db);
    this.#tx = new SqliteTx(this.#sql);
    this.#wal = wal;
  }

  get stats(): StoreStats {
    if (!this.#wal) return { commits: this.#commits };
    return { commits: this.#commits, ...this.#wal.stats };
  }

  static open(file: string, options: SqliteStoreOptions = {}): SqliteStore {
    const absolute = path.resolve(file);
    makeDirectories(path.dirname(absolute));
    let db: Database.Database;
    let walMode: boolean;
    const full = options.durability !== "normal";
    try {
      db = new Database(absolute, { timeout: options.busyTimeoutMs ?? 5000 });
      walMode = db.pragma("journal_mode = WAL", { simple: true }) === "wal";
      // In WAL mode, FULL's fdatasync after each commit is done by WalSync, off the main thread. A file
      // system without WAL support keeps SQLite's rollback journal and its own syncs.
      db.pragma(`synchronous = ${full && !walMode ? "FULL" : "NORMAL"}`);
      db.pragma("foreign_keys = ON");
    } catch (cause) {
      throw new CairnError("STORE", `Cannot open the store at ${absolute}: ${(cause as Error).message}.`, {
        cause,
      });
    }
    migrate(db, absolute);
    let wal: WalSync | null = null;
    if (full && walMode) {
      try {
        // The WAL is next to the file SQLite opened: with a symlinked path, next to its target.
        const main = (db.pragma("database_list") as Array<{ name: string; file: string }>).find(
          (d) => d.name === "main",
        );
        wal = new WalSync(`${main?.file || absolute}-wal`);
      } catch (cause) {
        db.close();
        throw new CairnError(
          "STORE",
          `Cannot open the store's log at ${absolute}-wal: ${(cause as Error).message}.`,
          {
            cause,
          },
        );
      }
    }
    return new SqliteStore(absolute, db, wal);
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const result = await this.#mutex.run(async () => {
      this.#assertOpen();
      this.#wal?.assertHealthy();
      this.#sql.run("BEGIN IMMEDIATE");
      try {
        const changesBefore = this.#wal ? this.#totalChanges() : 0;
        const result = await fn(this.#tx);
        // A transaction that wrote nothing (a claim that found no work) needs no sync.
        const wrote = this.#wal !== null && this.#totalChanges() !== changesBefore;
        this.#sql.run("COMMIT");
        this.#commits++;
        if (wrote) this.#wal?.committed();
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#sql.run("ROLLBACK");
        throw error;
      }
    });
    // "later": synced within a millisecond, shared with the commits made meanwhile; the caller waits for
    // flushed() where it must. Otherwise synced now, outside the lock, so other transactions commit
    // meanwhile and share the next fdatasync.
    if (options.sync === "later") this.#wal?.syncSoon();
    else await this.flushed();
    return result;
  }

  flushed(): Promise<void> {
    return this.#wal ? this.#wal.sync() : Promise.resolve();
  }

  #totalChanges(): number {
    return Number(this.#sql.one("SELECT total_changes() AS n")!.n);
  }

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#read(() => fn(this.#tx));
  }

  /** Reads wait for a write transaction of this process to finish, so they never see half of one. */
  #read<T>(fn: () => T | Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      this.#assertOpen();
      return fn();
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new CairnError("STORE", "The store is closed.");
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#read(() => runs.getRun(this.#sql, runId));
  }

  getSteps(runId: string, stepIds?: readonly string[], options?: StepReadOptions): Promise<StepRecord[]> {
    return this.#read(() => steps.getSteps(this.#sql, runId, stepIds, options));
  }

  listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#read(() => listRuns(this.#sql, filter));
  }

  listChildRuns(runId: string): Promise<RunRecord[]> {
    return this.#read(() => runs.listChildRuns(this.#sql, runId));
  }

  listWorkflows(): Promise<WorkflowRecord[]> {
    return this.#read(() => workflows.listWorkflows(this.#sql));
  }

  getWorkflow(id: string): Promise<WorkflowRecord | undefined> {
    return this.#read(() => workflows.getWorkflow(this.#sql, id));
  }

  listWorkflowVersions(tenant: string, workflowId: string): Promise<WorkflowVersionRecord[]> {
    return this.#read(() => workflows.listWorkflowVersions(this.#sql, tenant, workflowId));
  }

  listStoredWorkflows(tenant: string): Promise<StoredWorkflowRecord[]> {
    return this.#read(() => workflows.listStoredWorkflows(this.#sql, tenant));
  }

  getWorkflowVersion(
    tenant: string,
    workflowId: string,
    version?: string,
  ): Promise<WorkflowVersionRecord | undefined> {
    return this.#read(() => workflows.getWorkflowVersion(this.#sql, tenant, workflowId, version));
  }

  listRunAttempts(runId: string): Promise<RunAttemptRecord[]> {
    return this.#read(() => runAttempts.listRunAttempts(this.#sql, runId));
  }

  listMemos(ref: StepRef): Promise<Array<{ key: string; value: Json; at: number }>> {
    return this.#read(() => memos.listMemos(this.#sql, ref));
  }

  summariseItems(runId: string): Promise<ItemSummary[]> {
    return this.#read(() => items.summariseItems(this.#sql, runId));
  }

  getItems(runId: string, stepId: string, filter?: ItemFilter): Promise<ItemRecord[]> {
    return this.#read(() => items.getItems(this.#sql, runId, stepId, filter));
  }

  readEvents(filter: {
    runId?: string;
    tenant?: string;
    afterSeq?: number;
    limit?: number;
  }): Promise<CairnEvent[]> {
    return this.#read(() => events.readEvents(this.#sql, filter));
  }

  latestEventSeq(): Promise<number> {
    return this.#read(() => events.latestEventSeq(this.#sql));
  }

  readLogs(runId: string, stepId?: string): Promise<LogLine[]> {
    return this.#read(() => logs.readLogs(this.#sql, runId, stepId));
  }

  latestFailedRun(workflowId: string, tenant?: string): Promise<RunRecord | undefined> {
    return this.#read(() => runs.latestFailedRun(this.#sql, workflowId, tenant));
  }

  latestRun(workflowId: string, status: RunStatus, tenant?: string): Promise<RunRecord | undefined> {
    return this.#read(() => runs.latestRun(this.#sql, workflowId, status, tenant));
  }

  countRunsByStatus(): Promise<Array<{ status: RunStatus; count: number }>> {
    return this.#read(() => runs.countRunsByStatus(this.#sql));
  }

  countForMetrics(): Promise<MetricCounts> {
    return this.#read(() => countForMetrics(this.#sql));
  }

  insertToken(token: TokenRecord): Promise<void> {
    return this.transaction(() => this.#tx.insertToken(token));
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.transaction(() => this.#tx.revokeToken(id, at));
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.#read(() => tokens.findTokenByHash(this.#sql, hash));
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.#read(() => tokens.listTokens(this.#sql));
  }

  schemaVersion(): Promise<{ current: number; known: number }> {
    return this.#read(() => {
      const row = this.#sql.one("SELECT value FROM meta WHERE key = 'schema_version'");
      return { current: Number(row?.value ?? 0), known: SQLITE_MIGRATIONS.length };
    });
  }

  checkIntegrity(): Promise<string> {
    return this.#read(() => checkIntegrity(this.#db));
  }

  async close(): Promise<void> {
    await this.#mutex.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      // Whatever was committed reaches the disk before the descriptor and the database close.
      try {
        await this.#wal?.close();
      } finally {
        this.#db.close();
      }
    });
  }
}

/**
 * `mkdir -p` one level at a time: Node's recursive mkdirSync never returns for a path under /proc
 * (it retries ENOENT forever, at full CPU), and each level's error names the directory at fault.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw new CairnError(
        "STORE",
        `Cannot create the directory ${d} for the store: ${(cause as Error).message}.`,
        {
          cause,
        },
      );
    }
  }
}

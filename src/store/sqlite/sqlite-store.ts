import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { CairnError } from "../../core/errors.js";
import type {
  CairnEvent,
  Json,
  LogLine,
  RunAttemptRecord,
  RunRecord,
  RunStatus,
  StepRecord,
  WorkflowRecord,
} from "../../core/types.js";
import { ATTEMPT_COLUMNS, fromRow, RUN_COLUMNS, TOKEN_COLUMNS, WORKFLOW_COLUMNS } from "../columns.js";
import { Mutex } from "../mutex.js";
import type {
  MetricCounts,
  RunFilter,
  StepReadOptions,
  StepRef,
  Store,
  StoreStats,
  StoreTx,
  TokenRecord,
  TransactionOptions,
} from "../store.js";
import type { TokenStore } from "../tokens.js";
import { SQLITE_MIGRATIONS } from "./migrations.js";
import { SqliteTx } from "./sqlite-tx.js";
import { RUN_KEY, StatementCache } from "./statements.js";
import { WalSync } from "./wal-sync.js";

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
    return this.#read(() => this.#tx.getRun(runId));
  }

  getSteps(runId: string, stepIds?: readonly string[], options?: StepReadOptions): Promise<StepRecord[]> {
    return this.#read(() => this.#tx.getSteps(runId, stepIds, options));
  }

  listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#read(() => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.tenant !== undefined) {
        where.push("tenant = ?");
        params.push(filter.tenant);
      }
      if (filter.status) {
        where.push("status = ?");
        params.push(filter.status);
      }
      if (filter.workflowId) {
        where.push("workflow_id = ?");
        params.push(filter.workflowId);
      }
      if (filter.before) {
        where.push("(created_at < ? OR (created_at = ? AND id < ?))");
        params.push(filter.before.createdAt, filter.before.createdAt, filter.before.id);
      }
      const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY created_at DESC, id DESC LIMIT ?`;
      return this.#sql.all(sql, ...params, filter.limit ?? 100).map((r) => fromRow(RUN_COLUMNS, r));
    });
  }

  listChildRuns(runId: string): Promise<RunRecord[]> {
    return this.#read(() =>
      this.#sql
        .all("SELECT * FROM runs WHERE parent_run_id = ? ORDER BY created_at", runId)
        .map((r) => fromRow(RUN_COLUMNS, r)),
    );
  }

  listWorkflows(): Promise<WorkflowRecord[]> {
    return this.#read(() =>
      this.#sql.all("SELECT * FROM workflows ORDER BY id").map((r) => fromRow(WORKFLOW_COLUMNS, r)),
    );
  }

  getWorkflow(id: string): Promise<WorkflowRecord | undefined> {
    return this.#read(() => this.#tx.getWorkflow(id));
  }

  listRunAttempts(runId: string): Promise<RunAttemptRecord[]> {
    return this.#read(() =>
      this.#sql
        .all("SELECT * FROM run_attempts WHERE run_id = ? ORDER BY number", runId)
        .map((r) => fromRow(ATTEMPT_COLUMNS, r)),
    );
  }

  listMemos(ref: StepRef): Promise<Array<{ key: string; value: Json; at: number }>> {
    return this.#read(() => this.#tx.listMemos(ref));
  }

  readEvents(filter: {
    runId?: string;
    tenant?: string;
    afterSeq?: number;
    limit?: number;
  }): Promise<CairnEvent[]> {
    return this.#read(() => {
      const where = ["e.seq > ?"];
      const params: unknown[] = [filter.afterSeq ?? 0];
      if (filter.runId !== undefined) {
        where.push(`e.run_key = ${RUN_KEY}`);
        params.push(filter.runId);
      }
      if (filter.tenant !== undefined) {
        where.push("r.tenant = ?");
        params.push(filter.tenant);
      }
      return this.#sql
        .all(
          `SELECT e.seq, r.id AS run_id, r.tenant, e.step_id, e.type, e.at, e.data
           FROM events e JOIN runs r ON r.key = e.run_key
           WHERE ${where.join(" AND ")} ORDER BY e.seq LIMIT ?`,
          ...params,
          filter.limit ?? 1000,
        )
        .map((r) => ({
          seq: Number(r.seq),
          runId: r.run_id as string,
          tenant: r.tenant as string,
          stepId: (r.step_id as string | null) ?? null,
          type: r.type as CairnEvent["type"],
          at: Number(r.at),
          data: r.data === null ? null : (JSON.parse(r.data as string) as Json),
        }));
    });
  }

  readLogs(runId: string, stepId?: string): Promise<LogLine[]> {
    return this.#read(() => {
      const rows =
        stepId === undefined
          ? this.#sql.all("SELECT * FROM logs WHERE run_id = ? ORDER BY id", runId)
          : this.#sql.all("SELECT * FROM logs WHERE run_id = ? AND step_id = ? ORDER BY id", runId, stepId);
      return rows.map((r) => ({
        runId: r.run_id as string,
        stepId: r.step_id as string,
        attempt: Number(r.attempt),
        at: Number(r.at),
        stream: r.stream as LogLine["stream"],
        line: r.line as string,
      }));
    });
  }

  latestFailedRun(workflowId: string, tenant?: string): Promise<RunRecord | undefined> {
    return this.#read(() => {
      const byTenant = tenant === undefined ? "" : " AND f.tenant = ?";
      const row = this.#sql.one(
        `SELECT f.* FROM runs f WHERE f.workflow_id = ? AND f.status = 'failed'${byTenant}
         AND NOT EXISTS (SELECT 1 FROM runs s WHERE s.root_run_id = f.root_run_id
           AND s.status = 'succeeded' AND s.finished_at >= f.created_at)
         ORDER BY f.created_at DESC, f.id DESC LIMIT 1`,
        ...(tenant === undefined ? [workflowId] : [workflowId, tenant]),
      );
      return row && fromRow(RUN_COLUMNS, row);
    });
  }

  latestRun(workflowId: string, status: RunStatus, tenant?: string): Promise<RunRecord | undefined> {
    return this.#read(() => {
      const row =
        tenant === undefined
          ? this.#sql.one(
              "SELECT * FROM runs WHERE workflow_id = ? AND status = ? ORDER BY created_at DESC, id DESC LIMIT 1",
              workflowId,
              status,
            )
          : this.#sql.one(
              "SELECT * FROM runs WHERE workflow_id = ? AND status = ? AND tenant = ? ORDER BY created_at DESC, id DESC LIMIT 1",
              workflowId,
              status,
              tenant,
            );
      return row && fromRow(RUN_COLUMNS, row);
    });
  }

  countRunsByStatus(): Promise<Array<{ status: RunStatus; count: number }>> {
    return this.#read(() =>
      this.#sql
        .all("SELECT status, count(*) AS n FROM runs GROUP BY status")
        .map((r) => ({ status: r.status as RunStatus, count: Number(r.n) })),
    );
  }

  countForMetrics(): Promise<MetricCounts> {
    return this.#read(() => ({
      // runs_by_workflow (workflow_id, status, …) covers this: no table rows are read.
      runs: this.#sql
        .all("SELECT workflow_id, status, count(*) AS n FROM runs GROUP BY workflow_id, status")
        .map((r) => ({
          workflowId: r.workflow_id as string,
          status: r.status as RunStatus,
          count: Number(r.n),
        })),
      // The repeated status term names steps_active's condition, so SQLite reads only that index.
      readySteps: this.#sql
        .all(
          `SELECT r.workflow_id, count(*) AS n FROM steps s JOIN runs r ON r.key = s.run_key
           WHERE s.status = 'ready' AND s.status IN ('ready', 'running') AND r.status = 'running'
           GROUP BY r.workflow_id`,
        )
        .map((r) => ({ workflowId: r.workflow_id as string, count: Number(r.n) })),
    }));
  }

  insertToken(token: TokenRecord): Promise<void> {
    return this.transaction(() => this.#tx.insertToken(token));
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.transaction(() => this.#tx.revokeToken(id, at));
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.#read(() => {
      const row = this.#sql.one("SELECT * FROM tokens WHERE hash = ?", hash);
      return row && fromRow(TOKEN_COLUMNS, row);
    });
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.#read(() =>
      this.#sql.all("SELECT * FROM tokens ORDER BY created_at").map((r) => fromRow(TOKEN_COLUMNS, r)),
    );
  }

  schemaVersion(): Promise<{ current: number; known: number }> {
    return this.#read(() => {
      const row = this.#sql.one("SELECT value FROM meta WHERE key = 'schema_version'");
      return { current: Number(row?.value ?? 0), known: SQLITE_MIGRATIONS.length };
    });
  }

  checkIntegrity(): Promise<string> {
    return this.#read(() => String(this.#db.pragma("integrity_check", { simple: true })));
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

function migrate(db: Database.Database, file: string): void {
  const known = SQLITE_MIGRATIONS.length;
  db.exec("BEGIN IMMEDIATE");
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    const current = hasMeta
      ? Number(
          (
            db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
              | { value: string }
              | undefined
          )?.value ?? 0,
        )
      : 0;
    if (current > known)
      throw new CairnError(
        "STORE",
        `The store at ${file} was created by a newer Cairn (schema version ${current}; this Cairn knows up to ${known}). Upgrade Cairn to open it.`,
      );
    for (let version = current + 1; version <= known; version++) {
      db.exec(SQLITE_MIGRATIONS[version - 1]!);
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(
        String(version),
      );
    }
    db.exec("COMMIT");
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    db.close();
    throw error;
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

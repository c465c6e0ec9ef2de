import path from "node:path";
import pg from "pg";
import { CairnError } from "../../core/errors.js";
import { type CairnLogger, silentLogger } from "../../core/logger.js";
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
import type {
  ItemFilter,
  ItemSummary,
  MetricCounts,
  RunFilter,
  StepRef,
  Store,
  StoredWorkflowRecord,
  StoreStats,
  StoreTx,
  TokenRecord,
  TransactionOptions,
} from "../store.js";
import type { TokenStore } from "../tokens.js";
import { connectionConfig, deleteOldCommitTokens, redact, retrying } from "./connection.js";
import * as events from "./events.js";
import { checkIntegrity } from "./integrity.js";
import * as items from "./items.js";
import * as logs from "./logs.js";
import { countForMetrics } from "./metrics.js";
import { PG_MIGRATIONS, prepareSchema } from "./migrations.js";
import { OutageLog } from "./outage.js";
import { isConnectionError, type Queryable } from "./pg-sql.js";
import { PostgresTx } from "./postgres-tx.js";
import * as runAttempts from "./run-attempts.js";
import { listRuns } from "./run-list.js";
import * as runs from "./runs.js";
import * as tokens from "./tokens.js";
import { type TransactionTarget, transactionOnce } from "./transaction.js";
import { WorkListener } from "./work-listener.js";
import * as workflows from "./workflows.js";

export interface PostgresStoreOptions {
  /**
   * Keep Cairn's tables in this schema (created when missing). Default `cairn`, so that a database
   * whose `public` schema already has tables named `events` or `runs` works.
   */
  schema?: string;
  /** Connections in this process's pool. Default 10. */
  poolSize?: number;
  /** How long a call keeps retrying while the database is unreachable (restart, failover) before it fails. Default 30 s. */
  reconnectMs?: number;
  /**
   * The server ends a session whose transaction sits idle this long, releasing its row locks. Cairn's
   * transactions are never idle on purpose; this bounds how long a frozen process (GC pause, SIGSTOP)
   * can block others. Default 10 s.
   */
  idleInTransactionTimeoutMs?: number;
  /** Where lost and regained connections are logged (warn, info). Default: nowhere. */
  logger?: CairnLogger;
}

/** NOTIFY channel; the payload names the schema, so stores in other schemas ignore it. */
const WORK_CHANNEL = "cairn_work";
/** The schema holding Cairn's tables unless `schema` (or `?schema=`) names another. */
export const DEFAULT_SCHEMA = "cairn";
/** How often each store deletes commit tokens past their retention (a few rows per write transaction). */
const COMMIT_TOKEN_CLEANUP_MS = 5 * 60 * 1000;

/**
 * The PostgreSQL store, for any number of worker processes on any number of machines. Times that
 * decide leases come from the database clock. Steps are claimed with FOR UPDATE SKIP LOCKED; idle
 * workers are woken by LISTEN/NOTIFY.
 *
 * @example
 * const store = await PostgresStore.open("postgres://cairn@db.internal/cairn", { schema: "cairn" });
 * const cairn = await Cairn.open({ db: store });
 */
export class PostgresStore implements Store, TokenStore {
  readonly kind = "postgres" as const;
  readonly stats: StoreStats = { commits: 0 };
  readonly dataDir = path.resolve(".cairn");
  /** The database (password removed) and schema, for messages. */
  readonly where: string;
  readonly #pool: pg.Pool;
  readonly #listener: WorkListener;
  readonly #reconnectMs: number;
  readonly #cleanupTimer: NodeJS.Timeout;
  readonly #outage: OutageLog;
  readonly #target: TransactionTarget;
  #closed = false;

  private constructor(
    pool: pg.Pool,
    listener: WorkListener,
    where: string,
    schemaName: string,
    reconnectMs: number,
    logger: CairnLogger,
  ) {
    this.#pool = pool;
    this.#listener = listener;
    this.where = where;
    this.#reconnectMs = reconnectMs;
    this.#outage = new OutageLog(logger, where);
    this.#target = {
      pool,
      notify: { channel: WORK_CHANNEL, payload: schemaName },
      reconnectMs,
      where,
      onCommit: () => {
        this.stats.commits++;
      },
    };
    listener.reportTo(this.#outage);
    this.#cleanupTimer = setInterval(
      () =>
        void deleteOldCommitTokens(pool as unknown as Queryable).catch((error: unknown) =>
          logger.warn(
            { database: where, err: error },
            "deleting old commit tokens failed; trying again later",
          ),
        ),
      COMMIT_TOKEN_CLEANUP_MS,
    );
    this.#cleanupTimer.unref();
  }

  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? DEFAULT_SCHEMA;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema))
      throw new CairnError("STORE", `Schema name "${schema}" must be letters, digits and "_" (at most 63).`);
    const where = `${redact(url)} (schema ${schema})`;
    const config = connectionConfig(url, {
      schema,
      idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? 10_000,
    });
    const pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
    // An idle connection that dies (database restart) is dropped by the pool; without a handler the
    // 'error' event would crash the process.
    pool.on("error", () => undefined);
    const reconnectMs = options.reconnectMs ?? 30_000;
    let schemaName: string;
    try {
      // Waits while the server is full or starting up; an unreachable server fails at once.
      schemaName = await retrying(() => prepareSchema(pool, schema, where), {
        reconnectMs,
        closed: () => false,
        only: (error) => ["53300", "57P03"].includes((error as { code?: string }).code ?? ""),
      });
    } catch (cause) {
      await pool.end().catch(() => undefined);
      if (cause instanceof CairnError) throw cause;
      throw new CairnError("STORE", `Cannot open the store at ${where}: ${(cause as Error).message}.`, {
        cause,
      });
    }
    const listener = new WorkListener(() => new pg.Client(config), WORK_CHANNEL, schemaName);
    return new PostgresStore(pool, listener, where, schemaName, reconnectMs, options.logger ?? silentLogger);
  }

  /**
   * One transaction (READ COMMITTED) on one connection. When the connection is lost before COMMIT the
   * server rolled everything back and `fn` runs again on a new connection (until `reconnectMs`); when
   * it is lost during COMMIT the outcome is read back by the transaction's commit token, never guessed.
   */
  /** A PostgreSQL commit is durable when it returns (the server's own synchronous_commit). */
  async transaction<T>(fn: (tx: StoreTx) => Promise<T>, _options?: TransactionOptions): Promise<T> {
    return this.#retrying(() => {
      this.#assertOpen();
      return transactionOnce(this.#target, fn);
    });
  }

  flushed(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Run `attempt`, retrying lost connections for up to `reconnectMs`. After that the call fails with a
   * STORE error naming the database (the API answers 503); the caller may try again later.
   */
  async #retrying<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await this.#retryingRaw(attempt);
    } catch (cause) {
      if (!isConnectionError(cause)) throw cause;
      throw new CairnError(
        "STORE",
        `The database at ${this.where} is unreachable (${(cause as Error).message}); gave up after retrying for ${this.#reconnectMs} ms.`,
        { cause },
      );
    }
  }

  #retryingRaw<T>(attempt: () => Promise<T>): Promise<T> {
    return retrying(
      async () => {
        const result = await attempt();
        this.#outage.reachable();
        return result;
      },
      {
        reconnectMs: this.#reconnectMs,
        closed: () => this.#closed,
        onRetry: (error) => this.#outage.lost(error),
      },
    );
  }

  read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.#retrying(() => {
      this.#assertOpen();
      return fn(new PostgresTx(this.#pool as unknown as Queryable, { write: false }));
    });
  }

  /** Reads that need no transaction (listings, event and log tails, tokens), on any pooled connection. */
  #reading<T>(fn: (db: Queryable) => Promise<T>): Promise<T> {
    return this.#retrying(() => {
      this.#assertOpen();
      return fn(this.#pool as unknown as Queryable);
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new CairnError("STORE", "The store is closed.");
  }

  onWork(listener: () => void): () => void {
    return this.#listener.subscribe(listener);
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.read((tx) => tx.getRun(runId));
  }

  getSteps(runId: string, stepIds?: readonly string[]): Promise<StepRecord[]> {
    return this.read((tx) => tx.getSteps(runId, stepIds));
  }

  getWorkflow(id: string): Promise<WorkflowRecord | undefined> {
    return this.read((tx) => tx.getWorkflow(id));
  }

  listMemos(ref: StepRef): Promise<Array<{ key: string; value: Json; at: number }>> {
    return this.read((tx) => tx.listMemos(ref));
  }

  summariseItems(runId: string): Promise<ItemSummary[]> {
    return this.#reading((db) => items.summariseItems(db, runId));
  }

  getItems(runId: string, stepId: string, filter?: ItemFilter): Promise<ItemRecord[]> {
    return this.read((tx) => tx.getItems(runId, stepId, filter));
  }

  listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#reading((db) => listRuns(db, filter));
  }

  listChildRuns(runId: string): Promise<RunRecord[]> {
    return this.#reading((db) => runs.listChildRuns(db, runId));
  }

  listWorkflows(): Promise<WorkflowRecord[]> {
    return this.#reading((db) => workflows.listWorkflows(db));
  }

  listWorkflowVersions(tenant: string, workflowId: string): Promise<WorkflowVersionRecord[]> {
    return this.#reading((db) => workflows.listWorkflowVersions(db, tenant, workflowId));
  }

  listStoredWorkflows(tenant: string): Promise<StoredWorkflowRecord[]> {
    return this.#reading((db) => workflows.listStoredWorkflows(db, tenant));
  }

  getWorkflowVersion(
    tenant: string,
    workflowId: string,
    version?: string,
  ): Promise<WorkflowVersionRecord | undefined> {
    return this.#reading((db) => workflows.getWorkflowVersion(db, tenant, workflowId, version));
  }

  listRunAttempts(runId: string): Promise<RunAttemptRecord[]> {
    return this.#reading((db) => runAttempts.listRunAttempts(db, runId));
  }

  readEvents(filter: {
    runId?: string;
    tenant?: string;
    afterSeq?: number;
    limit?: number;
  }): Promise<CairnEvent[]> {
    return this.#reading((db) => events.readEvents(db, filter));
  }

  latestEventSeq(): Promise<number> {
    return this.#reading((db) => events.latestEventSeq(db));
  }

  readLogs(runId: string, stepId?: string): Promise<LogLine[]> {
    return this.#reading((db) => logs.readLogs(db, runId, stepId));
  }

  latestRun(workflowId: string, status: RunStatus, tenant?: string): Promise<RunRecord | undefined> {
    return this.#reading((db) => runs.latestRun(db, workflowId, status, tenant));
  }

  latestFailedRun(workflowId: string, tenant?: string): Promise<RunRecord | undefined> {
    return this.#reading((db) => runs.latestFailedRun(db, workflowId, tenant));
  }

  countRunsByStatus(): Promise<Array<{ status: RunStatus; count: number }>> {
    return this.#reading((db) => runs.countRunsByStatus(db));
  }

  countForMetrics(): Promise<MetricCounts> {
    return this.#reading((db) => countForMetrics(db));
  }

  insertToken(token: TokenRecord): Promise<void> {
    return this.transaction((tx) => (tx as PostgresTx).insertToken(token));
  }

  revokeToken(id: string, at: number): Promise<boolean> {
    return this.transaction((tx) => (tx as PostgresTx).revokeToken(id, at));
  }

  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.#reading((db) => tokens.findTokenByHash(db, hash));
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.#reading((db) => tokens.listTokens(db));
  }

  checkIntegrity(): Promise<string> {
    return this.#reading((db) => checkIntegrity(db));
  }

  async schemaVersion(): Promise<{ current: number; known: number }> {
    this.#assertOpen();
    const { rows } = await this.#pool.query("SELECT value FROM meta WHERE key = 'schema_version'");
    return { current: Number(rows[0]?.value ?? 0), known: PG_MIGRATIONS.length };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#cleanupTimer);
    this.#listener.close();
    await this.#pool.end();
  }
}

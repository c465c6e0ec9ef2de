import type {
  CairnEvent,
  Json,
  LogLine,
  RunAttemptRecord,
  RunRecord,
  RunStatus,
  WorkflowRecord,
} from "../../core/types.js";
import { ATTEMPT_COLUMNS, fromRow, RUN_COLUMNS, TOKEN_COLUMNS, WORKFLOW_COLUMNS } from "../columns.js";
import type { MetricCounts, RunFilter, TokenRecord } from "../store.js";
import { Params, type Queryable, type Row } from "./pg-sql.js";

/** The store's reads that need no transaction: listings, event and log tails, tokens. */
export class PostgresReader {
  readonly #db: Queryable;
  constructor(db: Queryable) {
    this.#db = db;
  }

  async #rows(sql: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.#db.query(sql, values)).rows;
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const p = new Params();
    const where: string[] = [];
    if (filter.tenant !== undefined) where.push(`tenant = ${p.add(filter.tenant)}`);
    if (filter.status) where.push(`status = ${p.add(filter.status)}`);
    if (filter.workflowId) where.push(`workflow_id = ${p.add(filter.workflowId)}`);
    if (filter.before) {
      const at = p.add(filter.before.createdAt);
      where.push(`(created_at < ${at} OR (created_at = ${at} AND id < ${p.add(filter.before.id)}))`);
    }
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY created_at DESC, id DESC LIMIT ${p.add(filter.limit ?? 100)}`;
    return (await this.#rows(sql, p.values)).map((r) => fromRow(RUN_COLUMNS, r));
  }

  async listChildRuns(runId: string): Promise<RunRecord[]> {
    const rows = await this.#rows("SELECT * FROM runs WHERE parent_run_id = $1 ORDER BY created_at, id", [
      runId,
    ]);
    return rows.map((r) => fromRow(RUN_COLUMNS, r));
  }

  async listWorkflows(): Promise<WorkflowRecord[]> {
    return (await this.#rows("SELECT * FROM workflows ORDER BY id")).map((r) => fromRow(WORKFLOW_COLUMNS, r));
  }

  async listRunAttempts(runId: string): Promise<RunAttemptRecord[]> {
    const rows = await this.#rows("SELECT * FROM run_attempts WHERE run_id = $1 ORDER BY number", [runId]);
    return rows.map((r) => fromRow(ATTEMPT_COLUMNS, r));
  }

  async readEvents(filter: {
    runId?: string;
    tenant?: string;
    afterSeq?: number;
    limit?: number;
  }): Promise<CairnEvent[]> {
    const p = new Params();
    const where = [`seq > ${p.add(filter.afterSeq ?? 0)}`];
    if (filter.runId !== undefined) where.push(`run_id = ${p.add(filter.runId)}`);
    if (filter.tenant !== undefined) where.push(`tenant = ${p.add(filter.tenant)}`);
    const rows = await this.#rows(
      `SELECT * FROM events WHERE ${where.join(" AND ")} ORDER BY seq LIMIT ${p.add(filter.limit ?? 1000)}`,
      p.values,
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      runId: r.run_id as string,
      tenant: r.tenant as string,
      stepId: (r.step_id as string | null) ?? null,
      type: r.type as CairnEvent["type"],
      at: Number(r.at),
      data: r.data === null ? null : (JSON.parse(r.data as string) as Json),
    }));
  }

  async readLogs(runId: string, stepId?: string): Promise<LogLine[]> {
    const rows =
      stepId === undefined
        ? await this.#rows("SELECT * FROM logs WHERE run_id = $1 ORDER BY id", [runId])
        : await this.#rows("SELECT * FROM logs WHERE run_id = $1 AND step_id = $2 ORDER BY id", [
            runId,
            stepId,
          ]);
    return rows.map((r) => ({
      runId: r.run_id as string,
      stepId: r.step_id as string,
      attempt: Number(r.attempt),
      at: Number(r.at),
      stream: r.stream as LogLine["stream"],
      line: r.line as string,
    }));
  }

  async latestFailedRun(workflowId: string, tenant?: string): Promise<RunRecord | undefined> {
    const p = new Params();
    const byTenant = tenant === undefined ? "" : ` AND f.tenant = ${p.add(tenant)}`;
    const [row] = await this.#rows(
      `SELECT f.* FROM runs f WHERE f.workflow_id = ${p.add(workflowId)} AND f.status = 'failed'${byTenant}
       AND NOT EXISTS (SELECT 1 FROM runs s WHERE s.root_run_id = f.root_run_id
         AND s.status = 'succeeded' AND s.finished_at >= f.created_at)
       ORDER BY f.created_at DESC, f.id DESC LIMIT 1`,
      p.values,
    );
    return row && fromRow(RUN_COLUMNS, row);
  }

  async latestRun(workflowId: string, status: RunStatus, tenant?: string): Promise<RunRecord | undefined> {
    const p = new Params();
    const byTenant = tenant === undefined ? "" : ` AND tenant = ${p.add(tenant)}`;
    const [row] = await this.#rows(
      `SELECT * FROM runs WHERE workflow_id = ${p.add(workflowId)} AND status = ${p.add(status)}${byTenant}
       ORDER BY created_at DESC, id DESC LIMIT 1`,
      p.values,
    );
    return row && fromRow(RUN_COLUMNS, row);
  }

  async countRunsByStatus(): Promise<Array<{ status: RunStatus; count: number }>> {
    const rows = await this.#rows(
      "SELECT status, count(*)::int AS n FROM runs GROUP BY status ORDER BY status",
    );
    return rows.map((r) => ({ status: r.status as RunStatus, count: Number(r.n) }));
  }

  async countForMetrics(): Promise<MetricCounts> {
    const [runs, ready] = await Promise.all([
      this.#rows("SELECT workflow_id, status, count(*)::int AS n FROM runs GROUP BY workflow_id, status"),
      this.#rows(
        `SELECT r.workflow_id, count(*)::int AS n FROM steps s JOIN runs r ON r.id = s.run_id
         WHERE s.status = 'ready' AND r.status = 'running' GROUP BY r.workflow_id`,
      ),
    ]);
    return {
      runs: runs.map((r) => ({
        workflowId: r.workflow_id as string,
        status: r.status as RunStatus,
        count: Number(r.n),
      })),
      readySteps: ready.map((r) => ({ workflowId: r.workflow_id as string, count: Number(r.n) })),
    };
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.#rows("SELECT * FROM tokens WHERE hash = $1", [hash]);
    return row && fromRow(TOKEN_COLUMNS, row);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.#rows("SELECT * FROM tokens ORDER BY created_at, id")).map((r) =>
      fromRow(TOKEN_COLUMNS, r),
    );
  }

  /** Cross-table consistency the schema cannot enforce by itself; "ok" when there is nothing to report. */
  async checkIntegrity(): Promise<string> {
    const [row] = await this.#rows(
      `SELECT
         (SELECT count(*)::int FROM steps s WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = s.run_id)) AS orphan_steps,
         (SELECT count(*)::int FROM steps WHERE status = 'running' AND lease_expires_at IS NULL) AS unleased`,
    );
    const problems: string[] = [];
    if (Number(row?.orphan_steps) > 0) problems.push(`${row!.orphan_steps} steps belong to no run`);
    if (Number(row?.unleased) > 0) problems.push(`${row!.unleased} running steps have no lease expiry`);
    return problems.length === 0 ? "ok" : problems.join("; ");
  }
}

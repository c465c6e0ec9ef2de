import type { WorkflowRecord, WorkflowVersionRecord } from "../../core/types.js";
import { fromRow, WORKFLOW_COLUMNS } from "../columns.js";
import type { StoredWorkflowRecord } from "../store-records.js";
import { insertSql, type StatementCache, values } from "./statements.js";

/** Registered workflow definitions. */

export function upsertWorkflow(sql: StatementCache, workflow: WorkflowRecord): void {
  // Every process registers its workflows when it opens; an unchanged record is not written again
  // (the graph of a 10,000-step workflow is 1.6 MB: a rewrite cost ~400 pages of WAL and an fsync
  // on each start). updated_at is therefore when the stored definition last changed.
  sql.run(
    `${insertSql(WORKFLOW_COLUMNS)} ON CONFLICT (id) DO UPDATE SET
       fingerprint = excluded.fingerprint, graph = excluded.graph, source = excluded.source,
       updated_at = excluded.updated_at
     WHERE fingerprint IS NOT excluded.fingerprint OR graph IS NOT excluded.graph
       OR source IS NOT excluded.source`,
    ...values(WORKFLOW_COLUMNS, workflow),
  );
}

export function getWorkflow(sql: StatementCache, id: string): WorkflowRecord | undefined {
  const row = sql.one("SELECT * FROM workflows WHERE id = ?", id);
  return row && fromRow(WORKFLOW_COLUMNS, row);
}

export function listWorkflows(sql: StatementCache): WorkflowRecord[] {
  return sql.all("SELECT * FROM workflows ORDER BY id").map((r) => fromRow(WORKFLOW_COLUMNS, r));
}

const versionOf = (r: Record<string, unknown>): WorkflowVersionRecord => ({
  tenant: r.tenant as string,
  workflowId: r.workflow_id as string,
  version: r.version as string,
  definition: r.definition as string,
  createdAt: Number(r.created_at),
});

export function putWorkflowVersion(sql: StatementCache, v: WorkflowVersionRecord): boolean {
  const changes = sql.run(
    `INSERT INTO workflow_versions (tenant, workflow_id, version, definition, created_at)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, workflow_id, version) DO NOTHING`,
    v.tenant,
    v.workflowId,
    v.version,
    v.definition,
    v.createdAt,
  );
  return changes > 0;
}

export function listWorkflowVersions(
  sql: StatementCache,
  tenant: string,
  workflowId: string,
): WorkflowVersionRecord[] {
  return sql
    .all(
      "SELECT * FROM workflow_versions WHERE tenant = ? AND workflow_id = ? ORDER BY seq DESC",
      tenant,
      workflowId,
    )
    .map(versionOf);
}

export function listStoredWorkflows(sql: StatementCache, tenant: string): StoredWorkflowRecord[] {
  return sql
    .all(
      `SELECT v.*, c.n AS version_count FROM workflow_versions v
       JOIN (SELECT MAX(seq) AS seq, COUNT(*) AS n FROM workflow_versions WHERE tenant = ? GROUP BY workflow_id) c
         ON v.seq = c.seq
       ORDER BY v.workflow_id`,
      tenant,
    )
    .map((r) => ({ newest: versionOf(r), versionCount: Number(r.version_count) }));
}

export function getWorkflowVersion(
  sql: StatementCache,
  tenant: string,
  workflowId: string,
  version?: string,
): WorkflowVersionRecord | undefined {
  const row =
    version === undefined
      ? sql.one(
          "SELECT * FROM workflow_versions WHERE tenant = ? AND workflow_id = ? ORDER BY seq DESC LIMIT 1",
          tenant,
          workflowId,
        )
      : sql.one(
          "SELECT * FROM workflow_versions WHERE tenant = ? AND workflow_id = ? AND version = ?",
          tenant,
          workflowId,
          version,
        );
  return row && versionOf(row);
}

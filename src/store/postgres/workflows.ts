import type { WorkflowRecord, WorkflowVersionRecord } from "../../core/types.js";
import { fromRow, WORKFLOW_COLUMNS } from "../columns.js";
import type { StoredWorkflowRecord } from "../store-records.js";
import { Params, type Queryable, upsertSql } from "./pg-sql.js";

/** Registered workflow definitions. */

export async function upsertWorkflow(db: Queryable, workflow: WorkflowRecord): Promise<void> {
  // Every worker registers its workflows when it starts; an unchanged record is not written again
  // (a 10,000-step graph is 1.6 MB of WAL), so updated_at is when the stored definition last changed.
  const p = new Params();
  await db.query(
    `${upsertSql(WORKFLOW_COLUMNS, workflow, "id", p)}
     WHERE workflows.fingerprint IS DISTINCT FROM excluded.fingerprint
       OR workflows.graph IS DISTINCT FROM excluded.graph
       OR workflows.source IS DISTINCT FROM excluded.source`,
    p.values,
  );
}

export async function getWorkflow(db: Queryable, id: string): Promise<WorkflowRecord | undefined> {
  const { rows } = await db.query("SELECT * FROM workflows WHERE id = $1", [id]);
  return rows[0] && fromRow(WORKFLOW_COLUMNS, rows[0]);
}

export async function listWorkflows(db: Queryable): Promise<WorkflowRecord[]> {
  const { rows } = await db.query("SELECT * FROM workflows ORDER BY id");
  return rows.map((r) => fromRow(WORKFLOW_COLUMNS, r));
}

const versionOf = (r: Record<string, unknown>): WorkflowVersionRecord => ({
  tenant: r.tenant as string,
  workflowId: r.workflow_id as string,
  version: r.version as string,
  definition: r.definition as string,
  createdAt: Number(r.created_at),
});

export async function putWorkflowVersion(db: Queryable, v: WorkflowVersionRecord): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO workflow_versions (tenant, workflow_id, version, definition, created_at)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, workflow_id, version) DO NOTHING`,
    [v.tenant, v.workflowId, v.version, v.definition, v.createdAt],
  );
  return (rowCount ?? 0) > 0;
}

export async function listWorkflowVersions(
  db: Queryable,
  tenant: string,
  workflowId: string,
): Promise<WorkflowVersionRecord[]> {
  const { rows } = await db.query(
    "SELECT * FROM workflow_versions WHERE tenant = $1 AND workflow_id = $2 ORDER BY seq DESC",
    [tenant, workflowId],
  );
  return rows.map(versionOf);
}

export async function listStoredWorkflows(db: Queryable, tenant: string): Promise<StoredWorkflowRecord[]> {
  const { rows } = await db.query(
    `SELECT v.*, c.n AS version_count FROM workflow_versions v
     JOIN (SELECT MAX(seq) AS seq, COUNT(*) AS n FROM workflow_versions WHERE tenant = $1 GROUP BY workflow_id) c
       ON v.seq = c.seq
     ORDER BY v.workflow_id`,
    [tenant],
  );
  return rows.map((r) => ({ newest: versionOf(r), versionCount: Number(r.version_count) }));
}

export async function getWorkflowVersion(
  db: Queryable,
  tenant: string,
  workflowId: string,
  version?: string,
): Promise<WorkflowVersionRecord | undefined> {
  const { rows } =
    version === undefined
      ? await db.query(
          "SELECT * FROM workflow_versions WHERE tenant = $1 AND workflow_id = $2 ORDER BY seq DESC LIMIT 1",
          [tenant, workflowId],
        )
      : await db.query(
          "SELECT * FROM workflow_versions WHERE tenant = $1 AND workflow_id = $2 AND version = $3",
          [tenant, workflowId, version],
        );
  return rows[0] && versionOf(rows[0]);
}

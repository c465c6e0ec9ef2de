import type { WorkflowRecord } from "../../core/types.js";
import { fromRow, WORKFLOW_COLUMNS } from "../columns.js";
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

import type { WorkflowRecord } from "../../core/types.js";
import { fromRow, WORKFLOW_COLUMNS } from "../columns.js";
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

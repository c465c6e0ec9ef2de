import { stepProcessFromRow } from "../step-processes.js";
import type { FencedStepRef, StepProcess, StepRef } from "../store.js";
import { RUN_KEY, type StatementCache } from "./statements.js";

/** The process group each step's latest execution started. */

/** Fenced: written only while the writer still holds the step's lease. */
export function recordStepProcess(
  sql: StatementCache,
  ref: FencedStepRef,
  process: Omit<StepProcess, "epoch">,
): boolean {
  const changes = sql.run(
    `INSERT OR REPLACE INTO step_processes (run_id, step_id, epoch, host, boot_id, pgid, pid_start)
     SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (
       SELECT 1 FROM steps WHERE run_key = ${RUN_KEY} AND step_id = ? AND lease_epoch = ? AND lease_owner IS ? AND status = 'running')`,
    ref.runId,
    ref.stepId,
    ref.epoch,
    process.host,
    process.bootId,
    process.pgid,
    process.pidStart,
    ref.runId,
    ref.stepId,
    ref.epoch,
    ref.owner,
  );
  return changes === 1;
}

export function getStepProcess(sql: StatementCache, ref: StepRef): StepProcess | undefined {
  const row = sql.one(
    "SELECT epoch, host, boot_id, pgid, pid_start FROM step_processes WHERE run_id = ? AND step_id = ?",
    ref.runId,
    ref.stepId,
  );
  return row && stepProcessFromRow(row);
}

import { stepProcessFromRow } from "../step-processes.js";
import type { FencedStepRef, StepProcess, StepRef } from "../store.js";
import type { Queryable } from "./pg-sql.js";

/** The process group each step's latest execution started. */

/** Fenced. FOR SHARE: a takeover cannot slip in between the check and the write (as for memos). */
export async function recordStepProcess(
  db: Queryable,
  ref: FencedStepRef,
  process: Omit<StepProcess, "epoch">,
): Promise<boolean> {
  const { rowCount } = await db.query(
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
  );
  return rowCount === 1;
}

export async function getStepProcess(db: Queryable, ref: StepRef): Promise<StepProcess | undefined> {
  const { rows } = await db.query(
    "SELECT epoch, host, boot_id, pgid, pid_start FROM step_processes WHERE run_id = $1 AND step_id = $2",
    [ref.runId, ref.stepId],
  );
  return rows[0] && stepProcessFromRow(rows[0]);
}

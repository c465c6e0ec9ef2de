import type { CairnLogger } from "../core/logger.js";
import type { StepRecord } from "../core/types.js";
import type { Executor } from "./executor.js";
import type { RecoveryReport } from "./recovery.js";

/** The fields that name a step's execution on every log line about it. */
export function stepFields(step: Pick<StepRecord, "runId" | "stepId" | "attempts" | "leaseEpoch">) {
  return { runId: step.runId, stepId: step.stepId, attempt: step.attempts, epoch: step.leaseEpoch };
}

/** Log what an executor reports: errors (always), fenced completions and lost leases. */
export function logExecutor(executor: Executor, logger: CairnLogger): void {
  executor.on("error", (error, step) =>
    logger.error(
      { err: error, ...(step ? stepFields(step) : {}) },
      step ? "recording the step failed; retrying" : "executor error; retrying",
    ),
  );
  executor.on("fatal", (error) =>
    logger.error({ err: error }, "the store refuses writes: this worker stops claiming steps"),
  );
  executor.on("rejected", (ref, step) =>
    logger.warn(
      { runId: ref.runId, stepId: ref.stepId, attempt: step?.attempts, epoch: ref.epoch },
      "completion rejected: the step's lease had moved to another claim (its result there stands)",
    ),
  );
  executor.on("lease-lost", (step) =>
    logger.warn(stepFields(step), "lease lost: another worker took the step over; aborting it here"),
  );
}

/** Log a recovery pass: each step taken over from a dead owner, each run left for a person. */
export function logRecovery(report: RecoveryReport, logger: CairnLogger): void {
  for (const r of report.recovered)
    logger.warn(
      { runId: r.runId, stepId: r.stepId, attempt: r.attempt, previousOwner: r.owner, reason: r.reason },
      "step recovered: its owner is gone; it is ready to run again",
    );
  for (const r of report.interrupted)
    logger.warn({ runId: r.runId, reason: r.reason }, "run interrupted: it waits for a person");
}

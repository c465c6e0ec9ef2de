import type { LogLine, StepRecord } from "../core/types.js";

/** A step this executor is executing, from its claim until its outcome is committed. */
export interface InFlight {
  readonly step: StepRecord;
  readonly controller: AbortController;
  /** Until when (this process's clock) the lease is known to be ours: the last renewal's start + lease. */
  leaseUntil: number;
  /** The execution's buffered log lines; each heartbeat stores and removes them (the rest go with the completion). */
  logs?: LogLine[];
}

/**
 * An execution is known by its claim (run, step and lease epoch), never by run and step alone: this
 * worker may claim a step again (its old lease expired and was recovered) while the old execution is
 * still winding down, and losing the old claim must touch only the old execution.
 */
export function executionKey(runId: string, stepId: string, epoch: number): string {
  return `${runId}/${stepId}#${epoch}`;
}

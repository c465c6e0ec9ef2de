import type { StepProcess } from "./store.js";

/** A `step_processes` row (the same columns on both databases) as a StepProcess. */
export function stepProcessFromRow(row: Record<string, unknown>): StepProcess {
  return {
    epoch: Number(row.epoch),
    host: row.host as string,
    bootId: (row.boot_id as string | null) ?? null,
    pgid: Number(row.pgid),
    pidStart: (row.pid_start as string | null) ?? null,
  };
}

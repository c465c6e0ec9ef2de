import { durationIn, LIMITS } from "../core/definition-checks.js";
import { formatDuration } from "../core/duration.js";
import { CairnError } from "../core/errors.js";
import type { RunRecord } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { wakeCaller } from "./child-runs.js";

/** The reason a run whose deadline passed failed with: "deadline exceeded after 5m0s". */
export function deadlineReason(run: Pick<RunRecord, "timeoutMs">): string {
  return `deadline exceeded after ${formatDuration(run.timeoutMs)}`;
}

/** A time limit given at start or resume ("30s", "5m" or milliseconds); undefined when none was given. */
export function parseRunTimeout(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = durationIn(value, 1, LIMITS.timeoutMs);
  if (typeof ms === "string") throw new CairnError("INVALID_INPUT", `The run timeout ${ms}.`);
  return ms;
}

/** Whether the run's current start or resume has run out of time. */
export function pastDeadline(run: Pick<RunRecord, "deadlineAt">, now: number): boolean {
  return run.deadlineAt !== null && run.deadlineAt <= now;
}

/**
 * Fail a running (or paused) run whose deadline passed: no new step starts, the owners of the steps
 * in flight abort them (at once in this process, at their next heartbeat elsewhere), and the run can
 * be resumed, with a fresh deadline. Returns the failed run, or null when there was nothing to do.
 */
export async function expireRun(
  tx: StoreTx,
  runId: string,
  known?: { run: RunRecord; now: number },
): Promise<RunRecord | null> {
  const run = known?.run ?? (await tx.getRun(runId));
  const now = known?.now ?? (await tx.now());
  if (!run || (run.status !== "running" && run.status !== "paused") || !pastDeadline(run, now)) return null;
  const reason = deadlineReason(run);
  const patch = {
    status: "failed" as const,
    reason,
    error: { message: `The run's ${reason}; resume it to continue with a fresh deadline.` },
    driverId: null,
    updatedAt: now,
    finishedAt: now,
  };
  if (!(await tx.updateRun(run.id, patch, [run.status]))) return null;
  await tx.updateRunAttempt(run.id, run.attempt, { outcome: "failed", endedAt: now, note: reason });
  await tx.appendEvents([
    { runId: run.id, tenant: run.tenant, stepId: null, type: "run.failed", at: now, data: { reason } },
  ]);
  const failed = { ...run, ...patch };
  await wakeCaller(tx, failed, now);
  return failed;
}

/** One timer per run for its deadline, moved when a resume gave the run a new one. */
export class DeadlineTimers {
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();

  constructor(
    private readonly onDue: (runId: string) => void,
    private readonly clock: () => number,
  ) {}

  arm(run: Pick<RunRecord, "id" | "deadlineAt">): void {
    const at = run.deadlineAt;
    const armed = this.#timers.get(run.id);
    if (at === null || armed?.at === at) return;
    clearTimeout(armed?.timer);
    const timer = setTimeout(
      () => {
        this.#timers.delete(run.id);
        this.onDue(run.id);
      },
      Math.max(0, at - this.clock()),
    );
    timer.unref();
    this.#timers.set(run.id, { at, timer });
  }

  clear(runId: string): void {
    clearTimeout(this.#timers.get(runId)?.timer);
    this.#timers.delete(runId);
  }

  clearAll(): void {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

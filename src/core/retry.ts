/** How often a step is executed before it fails for good, and how long to wait between executions. */
export interface RetryPolicy {
  /** Total executions allowed, including the first. */
  readonly attempts: number;
  readonly backoff: { readonly initialMs: number; readonly factor: number; readonly maxMs: number };
}

/** Delay before the next execution after the `failuresInCycle`-th failure (1-based): exponential, capped. */
export function backoffMs(policy: RetryPolicy, failuresInCycle: number): number {
  const { initialMs, factor, maxMs } = policy.backoff;
  return Math.min(maxMs, initialMs * factor ** Math.max(0, failuresInCycle - 1));
}

/** Whether a step that just failed may execute again within its current retry cycle. */
export function mayRetry(policy: RetryPolicy, attempts: number, attemptBase: number): boolean {
  return attempts - attemptBase < policy.attempts;
}

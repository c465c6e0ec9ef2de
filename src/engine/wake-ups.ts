/**
 * Wake-ups for callers waiting on runs: a waiter sleeps until its run is notified (settled, cancelled,
 * interrupted…) or `everyMs` passes, whichever comes first, then looks again. Nothing is kept for a run
 * nobody waits on.
 */
export class WakeUps {
  readonly #waiting = new Map<string, Set<() => void>>();
  #failure: unknown = null;

  constructor(private readonly everyMs: number) {}

  /** Resolves at the next notification of `runId`, or after `everyMs`. Throws once `fail` was called. */
  async next(runId: string): Promise<void> {
    if (this.#failure) throw this.#failure;
    await new Promise<void>((resolve) => {
      const waiters = this.#waiting.get(runId) ?? new Set();
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiting.get(runId) === waiters) this.#waiting.delete(runId);
        resolve();
      };
      const timer = setTimeout(done, this.everyMs);
      waiters.add(done);
      this.#waiting.set(runId, waiters);
    });
    if (this.#failure) throw this.#failure;
  }

  notify(runId: string): void {
    for (const done of this.#waiting.get(runId) ?? []) done();
  }

  /** Every waiter, now and later, gets `error` (the store failed for good: no run can move). */
  fail(error: unknown): void {
    this.#failure ??= error;
    for (const runId of [...this.#waiting.keys()]) this.notify(runId);
  }
}

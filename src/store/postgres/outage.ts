import type { CairnLogger } from "../../core/logger.js";

/**
 * Logs an outage once when it starts (the first lost connection) and once when it ends (the next
 * call that succeeds), with its length: not one line per retry.
 */
export class OutageLog {
  readonly #logger: CairnLogger;
  readonly #database: string;
  #since: number | null = null;

  constructor(logger: CairnLogger, database: string) {
    this.#logger = logger;
    this.#database = database;
  }

  lost(error: unknown): void {
    if (this.#since !== null) return;
    this.#since = Date.now();
    this.#logger.warn(
      { database: this.#database, err: error },
      "database unreachable; calls wait and retry with backoff",
    );
  }

  reachable(): void {
    if (this.#since === null) return;
    const outageMs = Date.now() - this.#since;
    this.#since = null;
    this.#logger.info(
      { database: this.#database, outageMs },
      `database reachable again after ${outageMs} ms`,
    );
  }
}

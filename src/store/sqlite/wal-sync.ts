import fs from "node:fs";
import { CairnError } from "../../core/errors.js";

/**
 * The fsync that makes commits durable, run off the main thread.
 *
 * With `synchronous=FULL`, SQLite in WAL mode does exactly one thing more than with `NORMAL`: an
 * fdatasync of the WAL file after each commit, on the thread that commits, while nothing else runs.
 * The store opens the file with `NORMAL` and does that fdatasync here instead, on libuv's thread pool:
 * the caller decides what must wait for it (see `Store.transaction`'s `sync` option), and every commit
 * made while one fdatasync runs (or, for commits nobody waits for, within the next millisecond) shares
 * the next one. The WAL file is never reopened or truncated here;
 * this descriptor only flushes it, and stays open until the store closes.
 */
/**
 * How long a commit nobody waits for (the executor's claims and completions) may wait before its sync
 * starts: every commit made meanwhile shares that fdatasync. One per commit cost a chain step ~60 µs
 * of main-thread work (the thread-pool round trip) on top of the disk's; within 1 ms a chain shares one
 * between ~5 steps. What is acknowledged never waits for this: it asks for a sync at once.
 */
const BACKGROUND_SYNC_DELAY_MS = 1;

export class WalSync {
  readonly #fd: number;
  /** Commits made so far, and how many of them the last finished fdatasync covered. */
  #committed = 0;
  #durable = 0;
  #syncs = 0;
  #running: Promise<void> | null = null;
  /** The fdatasync queued behind the running one, shared by everyone who asks meanwhile. */
  #queued: Promise<void> | null = null;
  /** Why an fdatasync failed: every later sync and write is refused. */
  #failure: Error | null = null;

  /** `walFile`: the WAL SQLite writes (next to the database file symlinks resolved, as SQLite does). */
  constructor(walFile: string) {
    // Read-write: flushing a file needs write access on some systems (Windows).
    this.#fd = fs.openSync(walFile, "r+");
  }

  /** Note a commit that wrote to the WAL. */
  committed(): void {
    this.#committed++;
  }

  get stats(): { syncs: number; unsynced: number } {
    return { syncs: this.#syncs, unsynced: this.#committed - this.#durable };
  }

  /**
   * Resolves once every commit noted so far is on disk. Rejects, when an fdatasync fails, with a
   * STORE error whose details say `committed: true`: the commits happened, whether they are on disk
   * is unknown.
   */
  sync(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#syncError());
    if (this.#durable === this.#committed) return Promise.resolve();
    if (!this.#running) return this.#start();
    // The running fdatasync may have started before the commits being waited for: the next one covers them.
    this.#queued ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = null;
        return this.sync();
      });
    return this.#queued;
  }

  #soon: NodeJS.Timeout | null = null;

  /** Start a sync within BACKGROUND_SYNC_DELAY_MS, shared by every commit made until then. */
  syncSoon(): void {
    if (this.#soon || this.#failure) return;
    this.#soon = setTimeout(() => {
      this.#soon = null;
      // A failure is kept and refuses every later write; nobody waits on this promise.
      this.sync().catch(() => undefined);
    }, BACKGROUND_SYNC_DELAY_MS);
  }

  /** Throws when an earlier fdatasync failed: nothing more is written until the process restarts. */
  assertHealthy(): void {
    if (this.#failure)
      throw new CairnError(
        "STORE",
        `The store refuses writes: writing its log to disk failed earlier (${this.#failure.message}); restart the process to recover from the file.`,
        { cause: this.#failure, details: { fatal: true } },
      );
  }

  #syncError(): CairnError {
    return new CairnError(
      "STORE",
      `The store could not write its log to disk (${this.#failure?.message}); what was just committed may be lost on a power failure. Restart the process to recover from the file.`,
      { cause: this.#failure, details: { fatal: true, committed: true } },
    );
  }

  #start(): Promise<void> {
    const covers = this.#committed;
    this.#running = new Promise<void>((resolve, reject) => {
      fs.fdatasync(this.#fd, (error) => {
        this.#running = null;
        if (error) {
          // After a failed fdatasync the kernel may have dropped the dirty pages: a retry that succeeds
          // proves nothing. The store refuses further writes instead.
          this.#failure ??= error;
          reject(this.#syncError());
          return;
        }
        this.#syncs++;
        this.#durable = Math.max(this.#durable, covers);
        resolve();
      });
    });
    return this.#running;
  }

  /**
   * Sync what is left, then close the descriptor. Throws when that sync (or an earlier one) failed:
   * the last commits may not be on disk, and whoever closes should say so.
   */
  async close(): Promise<void> {
    if (this.#soon) clearTimeout(this.#soon);
    this.#soon = null;
    try {
      await this.sync();
    } finally {
      fs.closeSync(this.#fd);
    }
  }
}

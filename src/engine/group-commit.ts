/**
 * Group commit: items submitted while a commit is being prepared or written are committed together
 * in the next transaction. A lone item is committed at the next turn of the event loop (no timer),
 * so a sequential workflow is not delayed; a fan-out whose steps finish together shares one commit.
 */
export class GroupCommitter<T, R> {
  #queue: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;
  #flushing = false;

  constructor(
    private readonly commit: (items: T[]) => Promise<R>,
    /** Told after each commit, with the items it committed. */
    private readonly onCommitted: (result: R, items: readonly T[]) => void,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0) return;
    this.#flushing = true;
    const batch = this.#queue;
    this.#queue = [];
    try {
      const result = await this.commit(batch.map((b) => b.item));
      for (const b of batch) b.resolve();
      this.onCommitted(
        result,
        batch.map((b) => b.item),
      );
    } catch (error) {
      for (const b of batch) b.reject(error);
    } finally {
      this.#flushing = false;
      if (this.#queue.length > 0) this.#schedule();
    }
  }

  get pending(): number {
    return this.#queue.length;
  }
}

/** The slice of a node-postgres client that LISTEN needs. */
export interface ListenClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  end(): Promise<unknown>;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  on(
    event: "notification",
    listener: (message: { channel: string; payload?: string | undefined }) => void,
  ): unknown;
}

const MIN_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5000;

/**
 * One dedicated connection that LISTENs for "steps became ready" notifications and calls the
 * subscribers. It reconnects with backoff when the connection drops (database restart, network blip)
 * and then calls the subscribers once, since notifications sent meanwhile were lost. Executors poll
 * as well, so a lost notification only delays work, never stalls it.
 */
export class WorkListener {
  readonly #subscribers = new Set<() => void>();
  readonly #connect: () => ListenClient;
  readonly #channel: string;
  readonly #payload: string;
  #client: ListenClient | null = null;
  #timer: NodeJS.Timeout | undefined;
  #backoffMs = MIN_BACKOFF_MS;
  #closed = false;
  /**
   * Told when the connection drops and when it is back. The LISTEN connection is the one an idle
   * worker always holds, so a restart or terminated sessions are noticed (and logged) even when no
   * other call fails meanwhile.
   */
  #health: { lost(error: unknown): void; reachable(): void } | undefined;

  constructor(connect: () => ListenClient, channel: string, payload: string) {
    this.#connect = connect;
    this.#channel = channel;
    this.#payload = payload;
  }

  reportTo(health: { lost(error: unknown): void; reachable(): void }): void {
    this.#health = health;
  }

  subscribe(listener: () => void): () => void {
    this.#subscribers.add(listener);
    if (this.#subscribers.size === 1) void this.#open();
    return () => {
      this.#subscribers.delete(listener);
      if (this.#subscribers.size === 0) this.#stop();
    };
  }

  close(): void {
    this.#closed = true;
    this.#stop();
  }

  #notify(): void {
    for (const listener of [...this.#subscribers]) listener();
  }

  async #open(): Promise<void> {
    if (this.#closed || this.#client || this.#subscribers.size === 0) return;
    const client = this.#connect();
    this.#client = client;
    const lost = (error?: unknown) => {
      if (this.#client !== client) return;
      this.#client = null;
      this.#health?.lost(error ?? new Error("the LISTEN connection ended"));
      void client.end().catch(() => undefined);
      this.#retryLater();
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (message) => {
      if (message.channel === this.#channel && (message.payload ?? "") === this.#payload) this.#notify();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.#channel}`);
      if (this.#client !== client) return;
      const reconnected = this.#backoffMs > MIN_BACKOFF_MS;
      this.#backoffMs = MIN_BACKOFF_MS;
      this.#health?.reachable();
      if (reconnected) this.#notify();
    } catch (error) {
      lost(error);
    }
  }

  #retryLater(): void {
    if (this.#closed || this.#timer || this.#subscribers.size === 0) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#open();
    }, delay);
    this.#timer.unref();
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = null;
    void client?.end().catch(() => undefined);
  }
}

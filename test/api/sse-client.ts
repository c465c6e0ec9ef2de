import { until } from "../helpers/temp.js";

export interface SseMessage {
  id: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: event payloads are checked field by field in the tests
  data: any;
}

/**
 * A minimal Server-Sent Events client over fetch (EventSource cannot send an Authorization header):
 * collects messages and comment lines until closed.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  /** Every byte received, for "appears nowhere" checks. */
  raw = "";
  status = 0;
  contentType = "";
  #controller = new AbortController();
  #ended = false;

  static async connect(url: string, options: { token: string; lastEventId?: string }): Promise<SseClient> {
    const client = new SseClient();
    const headers: Record<string, string> = {
      authorization: `Bearer ${options.token}`,
      accept: "text/event-stream",
    };
    if (options.lastEventId !== undefined) headers["last-event-id"] = options.lastEventId;
    const res = await fetch(url, { headers, signal: client.#controller.signal });
    client.status = res.status;
    client.contentType = res.headers.get("content-type") ?? "";
    if (!res.ok || !res.body) {
      client.raw = await res.text();
      client.#ended = true;
      return client;
    }
    void client.#read(res.body);
    // The server writes a comment at once: the stream is open from here on.
    await client.waitFor(() => client.comments.length > 0, "the stream to open");
    return client;
  }

  async #read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of body) {
        const text = decoder.decode(chunk, { stream: true });
        this.raw += text;
        buffer += text;
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          this.#parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // aborted by close()
    } finally {
      this.#ended = true;
    }
  }

  #parse(block: string): void {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) this.comments.push(line.slice(1).trim());
      else if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("data: ")) data.push(line.slice(6));
    }
    if (data.length > 0) this.messages.push({ id, data: JSON.parse(data.join("\n")) });
  }

  get ended(): boolean {
    return this.#ended;
  }

  waitFor(check: () => boolean, what: string): Promise<true> {
    return until(() => check() || undefined, what, 30_000, 20);
  }

  /** Waits until a message of this type (for this run, if given) has arrived. */
  waitForType(type: string, runId?: string): Promise<true> {
    return this.waitFor(
      () =>
        this.messages.some((m) => m.data.type === type && (runId === undefined || m.data.runId === runId)),
      `an SSE event ${type}${runId ? ` of ${runId}` : ""}`,
    );
  }

  close(): void {
    this.#controller.abort();
  }
}

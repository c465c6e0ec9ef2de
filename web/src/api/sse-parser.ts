/** One Server-Sent Events message: `id:` and the joined `data:` lines. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * An incremental parser of `text/event-stream` (the WHATWG rules that matter here): lines end with
 * LF, CRLF or CR; `:` lines are comments (keep-alives); a blank line ends a message; a message
 * without `data:` is not dispatched. Feed it decoded chunks in order.
 */
export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #id: string | null = null;
  #event = "";
  #sawData = false;

  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.#buffer);
      // A lone CR at the end may be the first half of CRLF: wait for the next chunk.
      if (!match || (match[0] === "\r" && match.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | null {
    if (line === "") {
      const message = this.#sawData
        ? { id: this.#id, event: this.#event || "message", data: this.#data.join("\n") }
        : null;
      this.#data = [];
      this.#event = "";
      this.#sawData = false;
      return message;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.#data.push(value);
      this.#sawData = true;
    } else if (field === "id" && !value.includes("\u0000")) this.#id = value;
    else if (field === "event") this.#event = value;
    return null;
  }
}

import type { Json } from "./types.js";

const MASK = "***";

/**
 * Replaces runtime secret values wherever they would be persisted or printed: log lines, error
 * messages and stacks, outputs, checkpoints, memos and variables. Values shorter than 4 characters
 * are not masked (they would mangle ordinary text) — the docs ask for real secrets.
 */
export class Redactor {
  readonly #values: string[];

  constructor(secrets: Readonly<Record<string, string>>) {
    this.#values = Object.values(secrets)
      .filter((v) => typeof v === "string" && v.length >= 4)
      .sort((a, b) => b.length - a.length);
  }

  get active(): boolean {
    return this.#values.length > 0;
  }

  text(text: string): string {
    let result = text;
    for (const value of this.#values) if (result.includes(value)) result = result.split(value).join(MASK);
    return result;
  }

  json<T extends Json | undefined>(value: T): T {
    if (!this.active || value === undefined || value === null) return value;
    if (typeof value === "string") return this.text(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.json(v)) as T;
    if (typeof value === "object") {
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(value)) out[this.text(k)] = this.json(v);
      return out as T;
    }
    return value;
  }
}

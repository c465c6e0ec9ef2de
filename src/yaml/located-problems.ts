import { isRecord } from "../core/definition-checks.js";
import type { YamlSource } from "./yaml-source.js";

/** Problems found while reading the file, each with the file, line and column it is about. */
export class Located {
  readonly list: string[] = [];
  constructor(readonly source: YamlSource) {}
  add(at: string, message: string): void {
    this.list.push(`${at}: ${message}`);
  }
  unknownKeys(
    value: Record<string, unknown>,
    p: Array<string | number>,
    known: readonly string[],
    what: string,
  ) {
    for (const key of Object.keys(value))
      if (!known.includes(key))
        this.add(this.source.keyAt(p, key), `${what}unknown key "${key}" (known: ${known.join(", ")})`);
  }
  /** Adds a problem unless `value` is absent or of the expected shape. */
  expect(
    value: unknown,
    shape: "string" | "list of strings" | "mapping",
    p: Array<string | number>,
    what: string,
  ) {
    if (value === undefined) return true;
    const ok =
      shape === "string"
        ? typeof value === "string"
        : shape === "mapping"
          ? isRecord(value)
          : Array.isArray(value) && value.every((v) => typeof v === "string");
    if (!ok)
      this.add(this.source.at(p), `${what} must be a ${shape}, got ${JSON.stringify(value) ?? typeof value}`);
    return ok;
  }
}

/** An error's first line, for a problem sentence. */
export function firstLineOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

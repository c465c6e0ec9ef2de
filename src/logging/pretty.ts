import pc from "picocolors";

const LEVELS: Record<number, { name: string; color: (s: string) => string }> = {
  10: { name: "TRACE", color: pc.gray },
  20: { name: "DEBUG", color: pc.gray },
  30: { name: "INFO ", color: pc.green },
  40: { name: "WARN ", color: pc.yellow },
  50: { name: "ERROR", color: pc.red },
  60: { name: "FATAL", color: pc.red },
};
/** pino's own fields, shown in the line's head or not at all. */
const HEAD = new Set(["level", "time", "msg", "pid", "hostname"]);

/**
 * One pino JSON line as a readable line for a terminal:
 * `12:00:01.250 WARN  step lease lost runId=run_1 stepId=fetch attempt=2`. Errors add their stack.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level), color: (s: string) => s };
  const time = new Date(entry.time as number).toISOString().slice(11, 23);
  const fields = Object.entries(entry)
    .filter(([k]) => !HEAD.has(k) && k !== "err")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  const err = entry.err as { stack?: string; message?: string } | undefined;
  const stack = err ? `\n  ${(err.stack ?? err.message ?? "").replaceAll("\n", "\n  ")}` : "";
  return `${pc.dim(time)} ${level.color(level.name)} ${entry.msg ?? ""}${fields.length > 0 ? ` ${pc.dim(fields.join(" "))}` : ""}${stack}\n`;
}

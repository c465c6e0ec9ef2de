import { pino } from "pino";
import type { CairnLogger } from "../../src/core/logger.js";

export type LogEntry = Record<string, unknown> & { level: number; msg: string };

/** The JSON log lines in a process's stderr (other lines are skipped). */
export function jsonLogLines(text: string): LogEntry[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogEntry);
}

/** A real pino logger at level debug whose lines are kept, for asserting what was logged. */
export function capturedLogger(): { logger: CairnLogger; lines: LogEntry[]; raw: string[] } {
  const raw: string[] = [];
  const lines: LogEntry[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line) as LogEntry);
      },
    },
  );
  return { logger, lines, raw };
}

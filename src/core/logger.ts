/**
 * The slice of a structured logger Cairn writes to: pino's methods, so a pino logger (or any logger
 * with these four levels and `child`) can be passed as the `logger` option. Fields come first, the
 * message second; lines about a run carry `runId`, and lines about a step `stepId` and `attempt`.
 */
export interface CairnLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
  child(bindings: Record<string, unknown>): CairnLogger;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A logger that drops everything. */
export const silentLogger: CairnLogger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};

/** The `log` a step receives: lines go to the step's stored log. */
export interface Logger {
  (...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  /** A line of a child process's stdout or stderr, kept apart in the stored log (shell steps use it). */
  stream?(stream: "stdout" | "stderr", line: string): void;
}

import { pino } from "pino";
import { CairnError } from "../core/errors.js";
import { type CairnLogger, LOG_LEVELS, type LogLevel } from "../core/logger.js";
import { prettyLine } from "./pretty.js";

export interface LoggerOptions {
  /** Default `CAIRN_LOG_LEVEL`, else `fallback`. */
  level?: string | undefined;
  /** The level when neither `level` nor `CAIRN_LOG_LEVEL` is set. Default "warn". */
  fallback?: LogLevel;
  /** Readable lines instead of JSON. Default: when stderr is a terminal. */
  pretty?: boolean;
  /** Where lines go. Default: stderr (stdout stays for a command's own output). */
  write?: (line: string) => void;
}

/** A log level from a flag or the environment; one clear sentence when it is not one. */
export function parseLogLevel(value: string, from: string): LogLevel {
  const level = value.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new CairnError("USAGE", `${from} must be one of ${LOG_LEVELS.join(", ")}, got "${value}".`);
  return level as LogLevel;
}

/**
 * Cairn's logger: pino, JSON lines (one object per line, `time` in ms since the epoch) or, on a
 * terminal, readable lines. Written synchronously, so the lines before a crash are not lost.
 *
 * @example
 * const cairn = await Cairn.open({ logger: createLogger({ level: "info" }) });
 */
export function createLogger(options: LoggerOptions = {}): CairnLogger {
  const level =
    options.level !== undefined
      ? parseLogLevel(options.level, "--log-level")
      : process.env.CAIRN_LOG_LEVEL
        ? parseLogLevel(process.env.CAIRN_LOG_LEVEL, "CAIRN_LOG_LEVEL")
        : (options.fallback ?? "warn");
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  return pino(
    { level, base: { pid: process.pid }, serializers: { err: pino.stdSerializers.err } },
    { write: pretty ? (line: string) => write(prettyLine(line)) : write },
  );
}

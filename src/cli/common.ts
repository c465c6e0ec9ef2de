import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { Cairn, type CairnOptions } from "../cairn.js";
import { CairnError, type ErrorCode } from "../core/errors.js";
import type { CairnLogger, LogLevel } from "../core/logger.js";
import type { Json } from "../core/types.js";
import { loadOneWorkflow } from "../loader/load-workflow-file.js";
import { createLogger } from "../logging/create-logger.js";
import { isPostgresLocation, storeLocation } from "../store/open-store.js";
import { tracerProviderFromEnv } from "../tracing/tracer-provider-from-env.js";

/**
 * Exit codes: 0 the run succeeded, 1 it failed, 2 bad usage or definition, 3 refused by the run's
 * state, 4 the followed run was cancelled, 5 it was paused, 6 it waits for a signal, its own or a
 * child run's it waits for (send it with `cairn signal`), 130 this process was stopped (Ctrl-C, SIGTERM) and the run it drove was left
 * interrupted.
 */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
  cancelled: 4,
  paused: 5,
  waiting: 6,
  interrupted: 130,
} as const;

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  USAGE: EXIT.usage,
  INVALID_DEFINITION: EXIT.usage,
  INVALID_INPUT: EXIT.usage,
  NOT_FOUND: EXIT.usage,
  STORE: EXIT.usage,
  CONFLICT: EXIT.refused,
  UNPROCESSABLE: EXIT.refused,
  FENCED: EXIT.failed,
};

export function exitCodeFor(error: unknown): number {
  return error instanceof CairnError ? EXIT_BY_CODE[error.code] : EXIT.failed;
}

export interface GlobalOptions {
  db?: string;
  logLevel?: string;
  durability?: "full" | "normal";
  json?: boolean;
  verbose?: boolean;
}

/**
 * The CLI's logger: level from `--log-level`, else `CAIRN_LOG_LEVEL`, else `fallback` ("info" for the
 * long-running `serve` and `worker`, "warn" for the rest); JSON lines on stderr, readable on a terminal.
 */
export function cliLogger(global: GlobalOptions, fallback: LogLevel = "warn"): CairnLogger {
  return createLogger({ level: global.logLevel, fallback });
}

/**
 * Why `serve` or `worker` stopped. Once its logger exists the reason is a log line (`error`), so
 * stderr holds only log lines; before (a bad flag or workflow file) it is one plain sentence, as in
 * every other command.
 */
export function reportFailure(error: unknown, logger: CairnLogger | undefined, verbose = false): void {
  const message = error instanceof Error ? error.message : String(error);
  if (logger) {
    logger.error({ err: error }, message);
    return;
  }
  process.stderr.write(`cairn: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

/**
 * Open the store the command names. `mustExist`: for commands about runs that already exist (ls,
 * show, resume…), a SQLite store that is not there is an error, not a new empty store.
 */
export async function openCairn(
  global: GlobalOptions,
  options: CairnOptions = {},
  { mustExist = false }: { mustExist?: boolean } = {},
): Promise<Cairn> {
  // The logger first: a bad --log-level is reported before anything else about the store.
  const logger = options.logger ?? cliLogger(global);
  // Tracing from the standard OTEL_* variables; off (and OpenTelemetry not loaded) without them.
  const tracerProvider = options.tracerProvider ?? (await tracerProviderFromEnv());
  const location = storeLocation(global.db);
  if (mustExist && !isPostgresLocation(location) && !fs.existsSync(location))
    throw new CairnError(
      "NOT_FOUND",
      `There is no store at ${path.resolve(location)}: nothing has run here yet (pass --db or set CAIRN_DB to use another).`,
    );
  return Cairn.open({
    logger,
    ...(tracerProvider ? { tracerProvider } : {}),
    ...(global.db ? { db: global.db } : {}),
    ...(global.durability ? { durability: global.durability } : {}),
    trigger: "cli",
    loadWorkflow: loadOneWorkflow,
    recover: false,
    onlyOwnRuns: true,
    ...options,
  });
}

/** A flag's value as a whole number of at least 1; one clear sentence when it is not. */
export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CairnError("USAGE", `${flag} must be a positive whole number, got "${value}".`);
  return n;
}

/** A JSON value given on the command line or in a file; one clear sentence when it is not JSON. */
export function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new CairnError("USAGE", `${what} is not valid JSON: ${(error as Error).message}.`);
  }
}

export function readInput(options: { input?: string; inputFile?: string }): Json {
  if (options.input !== undefined && options.inputFile !== undefined)
    throw new CairnError("USAGE", "Give either --input or --input-file, not both.");
  if (options.inputFile !== undefined) {
    if (!fs.existsSync(options.inputFile))
      throw new CairnError("USAGE", `Input file ${options.inputFile} does not exist.`);
    return parseJson(fs.readFileSync(options.inputFile, "utf8"), `Input file ${options.inputFile}`);
  }
  return options.input === undefined ? {} : parseJson(options.input, "--input");
}

/** `--secret NAME=VALUE`, repeatable; `--secret NAME` reads the value from the environment variable NAME. */
export function collectSecret(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  const name = eq === -1 ? value : value.slice(0, eq);
  const secret = eq === -1 ? process.env[name] : value.slice(eq + 1);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new CairnError("USAGE", `--secret needs NAME=VALUE, got "${name}".`);
  if (secret === undefined)
    throw new CairnError("USAGE", `--secret ${name}: the environment variable ${name} is not set.`);
  return { ...previous, [name]: secret };
}

/** Register the workflow from `--file` (when a workflow moved, or to run edited code). */
export async function registerFile(cairn: Cairn, file: string | undefined): Promise<void> {
  if (file) await cairn.register(await loadOneWorkflow(file));
}

/**
 * Under `--json`, stdout carries exactly one JSON document. Step code runs in this process and may
 * `console.log`; send that to stderr so that `cairn run --json | jq` keeps working.
 */
export function keepStdoutForJson(global: GlobalOptions): void {
  if (!global.json) return;
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A command's body: given an open Cairn, returns the exit code. */
export type Action = (cairn: Cairn, global: GlobalOptions) => Promise<number>;

/** Opens Cairn for a command, runs its action and sets the exit code (main.ts has the one). */
export type Runner = (
  command: Command,
  action: Action,
  options?: { execute?: boolean; prepare?: () => Promise<void> },
) => Promise<void>;

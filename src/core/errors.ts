/**
 * The closed set of errors Cairn raises. An expected outcome (a run failed) is data on the run record,
 * not an exception; these are for requests that cannot be carried out.
 */
export const ERROR_CODES = [
  /** The workflow definition is invalid (duplicate ids, cycles, bad retry values, malformed YAML…). */
  "INVALID_DEFINITION",
  /** The run input does not satisfy the workflow's input schema, or a request's values are invalid. */
  "INVALID_INPUT",
  /** A run, step or workflow id that does not exist. */
  "NOT_FOUND",
  /** The run's state forbids the action (resume of a succeeded or live run, a lost race). */
  "CONFLICT",
  /** The request cannot be satisfied by the recorded state (missing upstream output, changed steps). */
  "UNPROCESSABLE",
  /** The store was created by a newer Cairn, or cannot be opened. */
  "STORE",
  /** A step's write was rejected because its lease moved to another worker. */
  "FENCED",
  /**
   * A malformed argument or option, whoever passed it: a command-line flag, a combination of request
   * fields the API refuses, a store URL, a retention rule, a log level, a workflow file that is not there.
   * (What it means to a shell, an exit code or an HTTP status, is decided by that shell.)
   */
  "USAGE",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "CairnError";
    this.code = code;
    this.details = options.details;
  }
}

export function isCairnError(error: unknown, code?: ErrorCode): error is CairnError {
  return error instanceof CairnError && (code === undefined || error.code === code);
}

/** Normalise anything thrown into an Error with a message. */
export function toError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new Error(typeof error === "string" ? error : safeString(error));
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** First line of an error message, for one-line listings. */
export function firstLine(message: string | undefined | null): string {
  if (!message) return "";
  const line = message.split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

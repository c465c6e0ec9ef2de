import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CairnError, ERROR_CODES, type ErrorCode } from "../core/errors.js";

/** Codes the HTTP layer adds to Cairn's own closed set (core/errors.ts). */
export const HTTP_ERROR_CODES = [
  /** Malformed JSON, wrong types, unknown fields, a bad path or query parameter. */
  "BAD_REQUEST",
  /** No `Authorization: Bearer` header, or an unknown or revoked token. */
  "UNAUTHORIZED",
  /** A read-only token asked for an action. */
  "FORBIDDEN",
  /** A known path asked with a method it does not answer (the `Allow` header lists those it does). */
  "METHOD_NOT_ALLOWED",
  /** The request body is larger than the server's limit. */
  "PAYLOAD_TOO_LARGE",
  /** A request body that is not `application/json`. */
  "UNSUPPORTED_MEDIA_TYPE",
  /** Anything unexpected; the response never carries the stack or the cause. */
  "INTERNAL",
] as const;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];
export type ApiErrorCode = ErrorCode | HttpErrorCode;
export const API_ERROR_CODES: readonly ApiErrorCode[] = [...ERROR_CODES, ...HTTP_ERROR_CODES];

/** The one table from error code to HTTP status. */
const STATUS: Record<ApiErrorCode, ContentfulStatusCode> = {
  BAD_REQUEST: 400,
  USAGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  FENCED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_INPUT: 422,
  UNPROCESSABLE: 422,
  INVALID_DEFINITION: 422,
  INTERNAL: 500,
  STORE: 503,
};

/** Hono's own exceptions (malformed JSON, media type gate) carry only a status. */
const CODE_BY_STATUS: Record<number, HttpErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

/** An error raised by the HTTP layer itself (auth, limits, request validation). */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly details: unknown;

  constructor(code: HttpErrorCode, message: string, details: unknown = null) {
    super(message);
    this.name = "HttpError";
    this.code = code;
    this.details = details;
  }
}

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; details: unknown };
}

/**
 * Map anything thrown while serving a request to a status and the one error shape. Unexpected errors
 * become a bare 500 (`internal` is told the real error, for the server log).
 */
export function errorResponse(
  error: unknown,
  internal: (error: unknown) => void = () => undefined,
): { status: ContentfulStatusCode; body: ErrorBody } {
  if (error instanceof HttpError || error instanceof CairnError)
    return { status: STATUS[error.code], body: body(error.code, error.message, error.details ?? null) };
  const status = hasStatus(error) ? error.status : undefined;
  const code = status === undefined ? undefined : CODE_BY_STATUS[status];
  if (code) return { status: STATUS[code], body: body(code, honoMessage(code, error as Error), null) };
  internal(error);
  return { status: 500, body: body("INTERNAL", "Internal server error.", null) };
}

function body(code: ApiErrorCode, message: string, details: unknown): ErrorBody {
  return { error: { code, message, details } };
}

function hasStatus(error: unknown): error is { status: number } {
  return (
    typeof error === "object" && error !== null && typeof (error as { status?: unknown }).status === "number"
  );
}

function honoMessage(code: HttpErrorCode, error: Error): string {
  if (code === "UNSUPPORTED_MEDIA_TYPE")
    return "Request bodies must be JSON (Content-Type: application/json).";
  if (code === "PAYLOAD_TOO_LARGE") return "The request body is larger than the server accepts.";
  return error.message ? `${error.message}.` : "Bad request.";
}

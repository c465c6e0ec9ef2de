import type { ErrorBody } from "./types";

/** A non-2xx answer of the API, with the message the server wrote for people. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details: unknown = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Read the API's one error shape; anything else (a proxy's HTML page) becomes a plain sentence. */
export async function apiErrorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error && typeof body.error.message === "string")
      return new ApiError(
        response.status,
        body.error.code ?? "UNKNOWN",
        body.error.message,
        body.error.details ?? null,
      );
  } catch {
    // not JSON: fall through
  }
  return new ApiError(
    response.status,
    "HTTP",
    `The server answered ${response.status} ${response.statusText}.`.trim(),
  );
}

/** One sentence for a toast, whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "The server could not be reached. Is `cairn serve` running?";
  return error instanceof Error ? error.message : String(error);
}

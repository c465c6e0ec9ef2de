import type { z } from "@hono/zod-openapi";
import { HttpError } from "./errors.js";

const WHERE: Record<string, string> = {
  json: "request body",
  query: "query string",
  param: "path",
  header: "headers",
};

/** A request that failed its schema: a 400 naming each offending field. */
export function validationError(target: string, error: z.ZodError): HttpError {
  const where = WHERE[target] ?? target;
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
  const text = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
  return new HttpError("BAD_REQUEST", `Invalid ${where}: ${text}.`, {
    in: target === "json" ? "body" : target,
    issues,
  });
}

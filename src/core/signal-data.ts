import { z } from "zod";
import { CairnError } from "./errors.js";
import type { Json } from "./types.js";

/**
 * A signal's data checked against the JSON Schema its wait declared: null when it fits, otherwise
 * the reason in one line ("approved: expected boolean, received string").
 */
export function signalDataProblem(schema: Json, data: Json): string | null {
  let parsed: z.ZodType;
  try {
    parsed = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (cause) {
    throw new CairnError(
      "INVALID_DEFINITION",
      `A signal's schema is not a JSON Schema Cairn can use: ${String(cause)}`,
    );
  }
  const result = parsed.safeParse(data);
  if (result.success) return null;
  return result.error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

/** The API's shared response shapes (any JSON value, a time, an error) and the system ones (health, me). */

import { z } from "@hono/zod-openapi";
import { API_ERROR_CODES } from "./errors.js";

export const JsonValue = z.unknown().openapi({ description: "Any JSON value." });
export const Millis = z.number().int().openapi({ description: "Milliseconds since the Unix epoch." });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(API_ERROR_CODES as [string, ...string[]]),
      message: z.string().openapi({ description: "One sentence a person can act on. Never a stack trace." }),
      details: JsonValue.openapi({
        description:
          "Machine-readable specifics: `status` on 409, `unknown`/`missing`/`issues` on 422, `issues` on 400; null otherwise.",
      }),
    }),
  })
  .openapi("Error");

export const StepErrorSchema = z
  .object({ message: z.string(), code: z.string().optional() })
  .openapi("StepError", { description: "Why a step or run failed (the stack stays on the server)." });

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

export const MeSchema = z
  .object({
    tenant: z.string().openapi({ description: "The tenant whose runs this token sees." }),
    readOnly: z.boolean().openapi({
      description:
        "The token may read but not act: start, resume, restart, rerun, cancel, pause and delete answer 403.",
    }),
  })
  .openapi("Me");

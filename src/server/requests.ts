import { z } from "@hono/zod-openapi";
import { MAX_MAP_ITEMS } from "../core/map-spec.js";
import { ON_CHANGE } from "../core/resume-plan.js";
import { parseTimestamp, TIMESTAMP_FORMS } from "../core/timestamp.js";
import { ITEM_STATUSES, RUN_STATUSES, type RunStatus } from "../core/types.js";
import { JsonValue } from "./schemas.js";

/**
 * Request shapes: every body, query and path parameter is validated against these, and the OpenAPI
 * document is generated from them. Bodies and queries are strict: an unknown field is a 400, so a
 * typo (`retryfailed`) is never silently ignored.
 */

export const Id = z.string().min(1).max(128);

/** The query of a route that declares no parameters: any parameter is a 400, like an unknown body field. */
export const NoQuery = z.strictObject({});

export const RunIdParams = z.object({
  id: Id.openapi({ param: { name: "id", in: "path" }, description: "Run id.", example: "run_0m3k2a1bc4Xy9" }),
});
export const WorkflowIdParams = z.object({
  id: Id.openapi({ param: { name: "id", in: "path" }, description: "Workflow id.", example: "report" }),
});
export const StepParams = RunIdParams.extend({
  stepId: Id.openapi({ param: { name: "stepId", in: "path" }, description: "Step id.", example: "fetch" }),
});

export const ItemParams = StepParams.extend({
  key: z
    .string()
    .min(1)
    .max(1024)
    .openapi({
      param: { name: "key", in: "path" },
      description: "Item key (its index unless the map has a `key`).",
      example: "7",
    }),
});

export const Secrets = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).openapi({
  description: "Runtime secrets by name. Passed to the steps in memory; never stored, logged or echoed.",
});

/** A stored workflow version: its hash (as `GET /api/workflows/{id}/versions` lists it), or "latest". */
const StoredVersion = z.string().min(1).max(64).optional();

export const StartRunBody = z
  .strictObject({
    input: JsonValue.optional().openapi({
      description: "Run input, validated by the workflow's input schema. Default {}.",
    }),
    runId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/)
      .optional()
      .openapi({
        description:
          "Idempotency: when a run with this id exists, it is returned (200) instead of starting another.",
      }),
    secrets: Secrets.optional(),
    timeout: z
      .union([z.string(), z.number().int().min(1)])
      .optional()
      .openapi({
        description:
          'The run\'s deadline: a duration ("30s", "5m", "2h") or milliseconds. Default: the workflow\'s `timeout`. Past it the steps in flight are aborted and the run fails (`deadline exceeded after …`); it can be resumed.',
        example: "30m",
      }),
    version: StoredVersion.openapi({
      description:
        "Start a workflow stored as data (`PUT /api/workflows/{id}`): this version of the caller's tenant, or \"latest\" for its newest. Without it, a workflow id registered by the server (a file or code) starts that workflow; an id the server has never registered starts the tenant's newest stored version. 404 when the tenant stored no such version (another tenant's are invisible).",
    }),
  })
  .openapi("StartRunRequest");

export const ResumeBody = z
  .strictObject({
    retryFailed: z.boolean().optional().openapi({
      description: "Execute failed steps again (default: the workflow's `resume.retryFailed`, else true).",
    }),
    resetRunning: z.boolean().optional().openapi({
      description:
        "Execute steps that were running again (default: the workflow's `resume.resetRunning`, else true).",
    }),
    onChange: z.enum(ON_CHANGE).optional().openapi({
      description:
        "Succeeded steps whose definition changed (default: the workflow's `resume.onChange`, else error).",
    }),
    maxAttempts: z.number().int().min(1).max(100).optional().openapi({
      description:
        "Total executions a step may have across resumes (default: the workflow's `resume.maxAttempts`, else no limit).",
    }),
    resetAttempts: z.boolean().optional().openapi({ description: "Forget the attempts already used." }),
    timeout: z
      .union([z.string(), z.number().int().min(1)])
      .optional()
      .openapi({
        description:
          "A deadline for this resume (a duration or milliseconds). Default: the run's own time limit, counted afresh.",
        example: "30m",
      }),
    markDone: z
      .strictObject({ stepId: Id, output: JsonValue })
      .optional()
      .openapi({ description: "Record this step as succeeded with this output, then continue." }),
    secrets: Secrets.optional(),
  })
  .openapi("ResumeRequest");

const NewRunVersion = StoredVersion.openapi({
  description:
    "The stored version of the run's workflow to use (\"latest\" for the newest). Default: for a run of a workflow stored as data, the tenant's newest version; otherwise the workflow's current definition.",
});

export const RestartBody = z
  .strictObject({ secrets: Secrets.optional(), version: NewRunVersion })
  .openapi("RestartRequest");

const RerunOnChange = z.enum(ON_CHANGE).optional().openapi({
  description:
    "Steps whose definition changed since the source run: error (refuse, the default), rerun (execute them and their downstream) or keep.",
});

export const RerunBody = z
  .union([
    z.strictObject({
      from: z.array(Id).min(1).max(1000),
      items: z.array(z.string().min(1).max(1024)).min(1).max(MAX_MAP_ITEMS).optional().openapi({
        description:
          "With `from` naming one map step: only these of its items (by key) run again, with its failed ones; its other succeeded items are reused.",
      }),
      onChange: RerunOnChange,
      secrets: Secrets.optional(),
      version: NewRunVersion,
    }),
    z.strictObject({
      failed: z.literal(true),
      onChange: RerunOnChange,
      secrets: Secrets.optional(),
      version: NewRunVersion,
    }),
  ])
  .openapi("RerunRequest", {
    description:
      "`{ from: [stepIds] }`, `{ from: [mapStepId], items: [keys] }` or `{ failed: true }`; the selected steps (or items) and their downstream run again.",
  });

export const EmptyBody = z.strictObject({}).openapi("EmptyRequest");

/** `?flag=true|false` — a query string has no booleans. */
const QueryBoolean = z.enum(["true", "false"]).transform((v) => v === "true");
/** A whole number in a query string, documented as one. */
const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .openapi({ type: "integer", minimum: min, maximum: max });

export const PlanQuery = z.strictObject({
  retryFailed: QueryBoolean.optional().openapi({ description: "As in the resume request." }),
  resetRunning: QueryBoolean.optional().openapi({ description: "As in the resume request." }),
  onChange: z.enum(ON_CHANGE).optional().openapi({ description: "As in the resume request." }),
  maxAttempts: queryInt(1, 100).optional().openapi({ description: "As in the resume request." }),
  resetAttempts: QueryBoolean.optional().openapi({ description: "As in the resume request." }),
  markDone: Id.optional().openapi({
    description:
      "The id of a step the resume request would mark done (`markDone.stepId`; its output does not change the plan).",
  }),
});

export const RerunPlanQuery = z.strictObject({
  from: z
    .string()
    .min(1)
    .max(10_000)
    .optional()
    .openapi({ description: "Rerun from these steps (comma-separated); or `failed=true`." }),
  failed: z.literal("true").optional().openapi({ description: "Rerun every failed step; or `from`." }),
  items: z.string().min(1).max(100_000).optional().openapi({
    description: "With `from` naming one map step: only these item keys (comma-separated) run again.",
  }),
  onChange: RerunOnChange,
  version: NewRunVersion,
});

export interface Cursor {
  createdAt: number;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString("base64url");
}

function decodeCursor(text: string): Cursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (Array.isArray(value) && Number.isInteger(value[0]) && typeof value[1] === "string")
      return { createdAt: value[0] as number, id: value[1] };
  } catch {
    // fall through: reported as a validation issue below
  }
  return null;
}

/** `status=failed,interrupted`, or the parameter repeated: the statuses, each checked. */
const StatusList = z
  .union([z.string(), z.array(z.string())])
  .transform((value, ctx) => {
    const names = [value].flat().flatMap((v) => v.split(","));
    for (const name of names)
      if (!RUN_STATUSES.includes(name as RunStatus))
        ctx.addIssue({
          code: "custom",
          message: `"${name}" is not a run status (${RUN_STATUSES.join(", ")})`,
        });
    return [...new Set(names)] as RunStatus[];
  })
  .openapi({ type: "string", example: "failed,interrupted" });

/** An ISO 8601 date or date and time in a query string, as ms since the epoch. */
const QueryTime = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    const ms = parseTimestamp(text);
    if (ms === null)
      ctx.addIssue({ code: "custom", message: `"${text}" is not a time like ${TIMESTAMP_FORMS}` });
    return ms ?? 0;
  })
  .openapi({ type: "string", example: "2026-05-01T08:00:00Z" });

export const ListRunsQuery = z.strictObject({
  status: StatusList.optional().openapi({
    description:
      "Only runs in these statuses: one, several comma-separated (`failed,interrupted`) or the parameter repeated. `interrupted` includes running runs whose owner died.",
  }),
  workflow: Id.optional().openapi({ description: "Only runs of this workflow." }),
  idPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'a run id has only letters, digits, "_", "." and "-"')
    .optional()
    .openapi({
      description: "Only runs whose id starts with this (case-sensitive; a whole id finds that run).",
      example: "run_0m3k",
    }),
  createdAfter: QueryTime.optional().openapi({
    description:
      "Only runs started at or after this time: an ISO 8601 date (`2026-05-01`, midnight UTC) or date and time with `Z` or an offset.",
  }),
  createdBefore: QueryTime.optional().openapi({
    description: "Only runs started before this time (same forms as `createdAfter`).",
  }),
  limit: queryInt(1, 500).optional().openapi({ description: "Runs per page (default 50)." }),
  cursor: z
    .string()
    .max(512)
    .transform((text, ctx) => {
      const cursor = decodeCursor(text);
      if (!cursor) ctx.addIssue({ code: "custom", message: "not a cursor returned by this API" });
      return cursor ?? { createdAt: 0, id: "" };
    })
    .optional()
    .openapi({ description: "`nextCursor` of the previous page." }),
});

export const EventsQuery = z.strictObject({
  after: queryInt(0, Number.MAX_SAFE_INTEGER).optional().openapi({
    description: "Start after this event seq (default 0: from the beginning). `Last-Event-ID` wins.",
  }),
});

export const EventsHeaders = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .openapi({ description: "Sent by reconnecting SSE clients: the seq of the last event received." }),
});

export const ItemsQuery = z.strictObject({
  status: z.enum(ITEM_STATUSES).optional().openapi({ description: "Only items in this status." }),
  limit: queryInt(1, 1000).optional().openapi({ description: "Items per page (default 100)." }),
  cursor: queryInt(0, MAX_MAP_ITEMS)
    .optional()
    .openapi({ description: "`nextCursor` of the previous page: items after that index." }),
});

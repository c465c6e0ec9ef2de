/** Response shapes of a map step's recorded items. */

import { z } from "@hono/zod-openapi";
import { ITEM_STATUSES } from "../core/types.js";
import { JsonValue, Millis, StepErrorSchema } from "./common-schemas.js";
import { LogLineSchema } from "./run-schemas.js";

export const ItemSchema = z
  .object({
    key: z.string(),
    index: z.number().int(),
    status: z.enum(ITEM_STATUSES),
    attempts: z.number().int(),
    output: JsonValue,
    error: StepErrorSchema.nullable(),
    startedAt: Millis,
    finishedAt: Millis,
    fromRunId: z.string().nullable().openapi({
      description:
        "The run that executed the item when this run reused it (a rerun); null when executed here.",
    }),
  })
  .openapi("Item", { description: "One settled item of a map step (items still to run have no record)." });

export const ItemPageSchema = z
  .object({
    items: z.array(ItemSchema),
    counts: z.record(z.enum(ITEM_STATUSES), z.number().int()).openapi({
      description: "Recorded items of the step by status (all of them, not only this page).",
    }),
    nextCursor: z.string().nullable(),
  })
  .openapi("ItemPage");

export const ItemDetailSchema = ItemSchema.extend({
  logs: z.array(LogLineSchema).openapi({ description: "The map step's log lines about this item." }),
}).openapi("ItemDetail");

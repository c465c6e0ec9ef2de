import { isDeepStrictEqual } from "node:util";
import type { Cairn } from "../cairn.js";
import { validateInput, type WorkflowDefinition } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import type { Json } from "../core/types.js";
import { truncated } from "./format.js";

/**
 * `cairn run --id X` for a run that exists returns that run (runs are idempotent by id). When the
 * command asks for another workflow or another input, printing the old run would answer a different
 * question, so say so instead.
 */
export async function refuseDifferentRun(
  cairn: Cairn,
  runId: string,
  definition: WorkflowDefinition,
  input: Json,
): Promise<void> {
  const existing = await cairn.run(runId);
  if (!existing) return;
  if (existing.workflowId !== definition.id)
    throw new CairnError(
      "CONFLICT",
      `Run "${runId}" already exists for workflow "${existing.workflowId}", not "${definition.id}"; choose another --id.`,
    );
  const wanted = await validateInput(definition, input).catch(() => input);
  if (!isDeepStrictEqual(existing.input, wanted))
    throw new CairnError(
      "CONFLICT",
      `Run "${runId}" already exists with a different input (${truncated(JSON.stringify(existing.input), 80)}); choose another --id for a new run, or see that one with cairn show ${runId}.`,
    );
}

// An LLM-style pipeline: plan the sections, draft each with a (fake) model call, assemble. Each call is
// memoised with ctx.memo, so when the model fails half way, `cairn resume` calls it only for the
// sections not drafted yet.
//
//   MODEL_DOWN_AT=future npx cairn run examples/plan-pipeline.ts --input '{"topic":"tides"}' --id tides
//   npx cairn resume tides        # history and today come from memos; only "future" calls the model
import fs from "node:fs";
import { workflow } from "cairn-runs";
import { z } from "zod";

/** A stand-in for a model API: costs a call each time (logged to $MODEL_LEDGER when set). */
async function callModel(prompt: string): Promise<string> {
  if (process.env.MODEL_LEDGER) fs.appendFileSync(process.env.MODEL_LEDGER, `${prompt}\n`);
  if (process.env.MODEL_DOWN_AT && prompt.endsWith(process.env.MODEL_DOWN_AT))
    throw new Error(`model unavailable (HTTP 503) while drafting "${prompt}"`);
  return `A paragraph about ${prompt}.`;
}

export default workflow("plan-pipeline", { input: z.object({ topic: z.string() }) })
  .step("plan", ({ input }) => ["history", "today", "future"].map((part) => `${input.topic}: ${part}`))
  .step("draft", { needs: ["plan"] }, async ({ needs, memo, log }) => {
    const sections: string[] = [];
    for (const heading of needs.plan) {
      sections.push(await memo(heading, () => callModel(heading)));
      log(`drafted ${heading}`);
    }
    return sections;
  })
  .step("assemble", { needs: ["draft"] }, ({ needs }) => needs.draft.join("\n\n"));

// The `load` step of data-pipeline.yaml: one row at a time, a checkpoint after each, so a resumed
// attempt starts after the last row it recorded.
import fs from "node:fs";
import path from "node:path";
import type { StepContext } from "cairn-runs";

export async function load({ run, checkpoint, lastCheckpoint, log }: StepContext) {
  const rows = fs.readFileSync(path.join(run.workdir, "rows.csv"), "utf8").trim().split("\n");
  const start = (lastCheckpoint as { done?: number } | undefined)?.done ?? 0;
  for (let i = start; i < rows.length; i++) {
    if (process.env.LOAD_FAIL_AT === String(i + 1)) throw new Error(`the database went away at row ${i + 1}`);
    log(`loaded ${rows[i]}`);
    await checkpoint({ done: i + 1 }, { force: true });
  }
  return { rows: rows.length, resumedAt: start + 1 };
}

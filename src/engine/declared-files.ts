import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { StepRecord } from "../core/types.js";
import type { LoadedWorkflow } from "./registry.js";

/** SHA-256 of each declared file in the run directory; null for a missing file. */
export function digestFiles(workdir: string, paths: readonly string[]): Record<string, string | null> {
  const result: Record<string, string | null> = {};
  for (const rel of paths) {
    try {
      result[rel] = createHash("sha256")
        .update(fs.readFileSync(path.join(workdir, rel)))
        .digest("hex");
    } catch {
      result[rel] = null;
    }
  }
  return result;
}

/** Which declared files are missing or differ from their recorded digests. */
export function changedFiles(
  workdir: string,
  recorded: Record<string, string> | null,
  declared: readonly string[],
): string[] {
  const now = digestFiles(workdir, declared);
  return declared.filter(
    (p) => now[p] === null || (recorded?.[p] !== undefined && recorded[p] !== now[p]) || !recorded?.[p],
  );
}

/** Succeeded steps whose declared output files are missing or changed in the run directory, with the files. */
export function declaredFilesChanged(
  workdir: string,
  steps: readonly StepRecord[],
  workflow: LoadedWorkflow,
): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const step of steps) {
    const declared = workflow.steps.get(step.stepId)?.outputs ?? [];
    if (step.status === "succeeded" && declared.length > 0) {
      const files = changedFiles(workdir, step.files as Record<string, string> | null, declared);
      if (files.length > 0) result.set(step.stepId, files);
    }
  }
  return result;
}

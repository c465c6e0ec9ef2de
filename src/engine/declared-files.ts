import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

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

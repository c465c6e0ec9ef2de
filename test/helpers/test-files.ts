import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./cli.js";

/**
 * Import every `*.test.ts` file of a folder of test/, in name order, so that their tests run in the
 * importing process: a test process spends about a second of CPU before its first test (tsx, the
 * runner, the modules under test), which a folder of small files would spend once per file.
 */
export async function importTestFiles(folder: string): Promise<void> {
  const dir = path.join(ROOT, "test", folder);
  for (const name of fs.readdirSync(dir).sort())
    if (name.endsWith(".test.ts")) await import(pathToFileURL(path.join(dir, name)).href);
}

import fs from "node:fs";
import path from "node:path";
import type { Cairn } from "../cairn.js";
import type { WorkflowDefinition } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import type { RunRecord, WorkflowRecord } from "../core/types.js";
import { loadWorkflowFile } from "../loader/load-workflow-file.js";

/** Files a workflow directory contributes. */
const WORKFLOW_EXTENSIONS = new Set([".yaml", ".yml", ".ts", ".mts", ".cts", ".js", ".mjs", ".cjs"]);

/**
 * The files named by `--workflows`, with directories expanded to their workflow files (sorted; tests
 * and `.d.ts` left out). A file keeps its `#exportName`. A path that does not exist is a usage error
 * before any file is loaded.
 */
export function workflowFiles(specs: readonly string[]): string[] {
  const files: string[] = [];
  for (const spec of specs) {
    const target = spec.split("#")[0]!;
    if (!fs.existsSync(target)) throw new CairnError("USAGE", `Workflow path ${target} does not exist.`);
    if (!fs.statSync(target).isDirectory()) {
      files.push(spec);
      continue;
    }
    for (const name of fs.readdirSync(target).sort())
      if (WORKFLOW_EXTENSIONS.has(path.extname(name)) && !/\.(d|test)\.[mc]?ts$/.test(name))
        files.push(path.join(target, name));
  }
  return files;
}

/** Every workflow defined in the given files and directories, loaded without opening a store. */
export async function loadWorkflows(specs: readonly string[]): Promise<WorkflowDefinition[]> {
  const definitions: WorkflowDefinition[] = [];
  for (const file of workflowFiles(specs)) definitions.push(...(await loadWorkflowFile(file)));
  return definitions;
}

/** Register every workflow in the given files and directories; returns how many. */
export async function registerWorkflows(cairn: Cairn, specs: readonly string[]): Promise<number> {
  let count = 0;
  for (const file of workflowFiles(specs))
    for (const definition of await loadWorkflowFile(file)) {
      await cairn.register(definition);
      count++;
    }
  return count;
}

/** One sentence when another file now defines the run's workflow id, or null. */
export function otherSourceNote(run: RunRecord, record: WorkflowRecord | undefined): string | null {
  if (!run.source || !record?.source || record.source === run.source) return null;
  if (!fs.existsSync(run.source.split("#")[0]!)) return null;
  return `Workflow "${run.workflowId}" is now also defined by ${record.source}; run "${run.id}" uses ${run.source}, the file it was started from (pass --file to choose another).`;
}

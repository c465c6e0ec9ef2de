import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { isWorkflowBuilder } from "../core/builder.js";
import type { WorkflowDefinition } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { loadYamlWorkflow } from "../yaml/load-yaml.js";

const TS_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);

/** Import a module; TypeScript files go through tsx so users need no build step. */
export async function importModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (TS_EXTENSIONS.has(path.extname(file))) {
    const { tsImport } = await import("tsx/esm/api");
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

async function importFunction(file: string, exportName: string): Promise<unknown> {
  const module = await importModule(file);
  return module[exportName] ?? (exportName === "default" ? undefined : (module.default as Record<string, unknown>)?.[exportName]);
}

/**
 * Load every workflow a file defines: a YAML file holds one; a TypeScript/JavaScript module exports
 * workflows (its default export and/or named exports). `file#name` picks one export.
 */
export async function loadWorkflowFile(spec: string): Promise<WorkflowDefinition[]> {
  const [target, exportName] = spec.split("#") as [string, string | undefined];
  const file = path.resolve(target);
  if (!fs.existsSync(file)) throw new CairnError("USAGE", `Workflow file ${target} does not exist.`);
  const ext = path.extname(file);
  if (ext === ".yaml" || ext === ".yml") return [await loadYamlWorkflow(file, importFunction)];
  let module: Record<string, unknown>;
  try {
    module = await importModule(file);
  } catch (cause) {
    if (cause instanceof CairnError) throw cause;
    throw new CairnError("INVALID_DEFINITION", `Cannot load ${target}: ${(cause as Error).message.split("\n")[0]}`, { cause });
  }
  const entries = Object.entries(module).filter(([name, value]) => isWorkflowBuilder(value) && (!exportName || name === exportName));
  const unique = [...new Map(entries.map(([, w]) => [w, w])).values()];
  if (unique.length === 0)
    throw new CairnError(
      "INVALID_DEFINITION",
      exportName ? `${target} has no workflow export named "${exportName}".` : `${target} exports no workflow (use workflow("id") from "cairn").`,
    );
  return unique.map((w) => (w as { definition(source: string): WorkflowDefinition }).definition(spec.includes("#") ? `${file}#${exportName}` : file));
}

/** Load the one workflow a file defines (or the one with `id`). */
export async function loadOneWorkflow(spec: string, id?: string): Promise<WorkflowDefinition> {
  const all = await loadWorkflowFile(spec);
  if (id !== undefined) {
    const found = all.find((w) => w.id === id);
    if (!found) throw new CairnError("NOT_FOUND", `${spec} does not define workflow "${id}".`);
    return found;
  }
  if (all.length > 1)
    throw new CairnError("USAGE", `${spec} defines ${all.length} workflows (${all.map((w) => w.id).join(", ")}); pick one with ${spec}#exportName.`);
  return all[0]!;
}

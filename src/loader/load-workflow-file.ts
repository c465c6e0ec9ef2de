import fs from "node:fs";
import path from "node:path";
import { BUILT_IN_ACTIONS } from "../actions/built-in.js";
import { type Action, actionsByName } from "../core/action.js";
import { isWorkflowBuilder } from "../core/builder.js";
import type { WorkflowDefinition } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { importModule, JS_EXTENSIONS, loadErrorText, TS_EXTENSIONS } from "./import-module.js";

/**
 * The exports of a module as its author wrote them. A CommonJS module (a `.cts`/`.cjs` file, or a
 * `.ts`/`.js` file outside a `"type": "module"` package, which tsx compiles to CommonJS) arrives from
 * `import()` as `{ default: module.exports }`, and a compiled `export default x` then sits at
 * `module.exports.default`: the author's exports are the properties of `default`.
 */
function authoredExports(module: Record<string, unknown>): Record<string, unknown> {
  const inner = module.default;
  if (typeof inner !== "object" || inner === null || isWorkflowBuilder(inner)) return module;
  const commonJs = inner as Record<string, unknown>;
  const named = Object.fromEntries(Object.entries(module).filter(([name]) => name !== "default"));
  return { ...commonJs, ...named, default: "default" in commonJs ? commonJs.default : undefined };
}

/** A module's export by name; rejects with one line saying why the module did not load. */
export async function importFunction(file: string, exportName: string): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    module = await importModule(file);
  } catch (cause) {
    throw new Error(loadErrorText(cause), { cause });
  }
  return authoredExports(module)[exportName];
}

export interface LoadOptions {
  /** Actions `uses: <name>` steps of a YAML or JSON file may call, besides the built-in ones. */
  actions?: readonly Action<never>[];
}

/**
 * Load every workflow a file defines: a YAML or JSON file holds one; a TypeScript/JavaScript module
 * exports workflows (its default export and/or named exports). `file#name` picks one export.
 */
export async function loadWorkflowFile(
  spec: string,
  options: LoadOptions = {},
): Promise<WorkflowDefinition[]> {
  const [target, exportName] = spec.split("#") as [string, string | undefined];
  const file = path.resolve(target);
  if (!fs.existsSync(file)) throw new CairnError("USAGE", `Workflow file ${target} does not exist.`);
  if (fs.statSync(file).isDirectory())
    throw new CairnError("USAGE", `${target} is a directory, not a workflow file.`);
  const ext = path.extname(file);
  if (ext === ".yaml" || ext === ".yml" || ext === ".json") {
    // Loaded on demand: the YAML parser and its schema cost start-up time a TypeScript workflow does not need.
    const { loadYamlWorkflow } = await import("../yaml/load-yaml.js");
    const actions = actionsByName(BUILT_IN_ACTIONS, options.actions ?? []);
    return [await loadYamlWorkflow(file, importFunction, actions)];
  }
  if (!TS_EXTENSIONS.has(ext) && !JS_EXTENSIONS.has(ext))
    throw new CairnError(
      "USAGE",
      `${target} is not a workflow file: use a .yaml/.yml/.json file or a TypeScript/JavaScript module (.ts, .mts, .cts, .js, .mjs, .cjs).`,
    );
  let module: Record<string, unknown>;
  try {
    module = authoredExports(await importModule(file));
  } catch (cause) {
    if (cause instanceof CairnError) throw cause;
    throw new CairnError("INVALID_DEFINITION", `Cannot load ${target}: ${loadErrorText(cause)}`, { cause });
  }
  const entries = Object.entries(module).filter(
    ([name, value]) => isWorkflowBuilder(value) && (!exportName || name === exportName),
  );
  const unique = [...new Map(entries.map(([, w]) => [w, w])).values()];
  if (unique.length === 0)
    throw new CairnError(
      "INVALID_DEFINITION",
      exportName
        ? `${target} has no workflow export named "${exportName}".`
        : `${target} exports no workflow (use workflow("id") from "cairn-runs").`,
    );
  return unique.map((w) =>
    (w as { definition(source: string): WorkflowDefinition }).definition(
      spec.includes("#") ? `${file}#${exportName}` : file,
    ),
  );
}

/** Load the one workflow a file defines (or the one with `id`). */
export async function loadOneWorkflow(
  spec: string,
  id?: string,
  options: LoadOptions = {},
): Promise<WorkflowDefinition> {
  const all = await loadWorkflowFile(spec, options);
  if (id !== undefined) {
    const found = all.find((w) => w.id === id);
    if (!found) throw new CairnError("NOT_FOUND", `${spec} does not define workflow "${id}".`);
    return found;
  }
  if (all.length > 1)
    throw new CairnError(
      "USAGE",
      `${spec} defines ${all.length} workflows (${all.map((w) => w.id).join(", ")}); pick one with ${spec}#exportName.`,
    );
  return all[0]!;
}

import path from "node:path";
import { BUILT_IN_ACTIONS } from "../actions/built-in.js";
import { type Action, actionsByName } from "../core/action.js";
import type { WorkflowDefinition } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { shortHash } from "../core/fingerprint.js";
import type { Json } from "../core/types.js";
import { defineYamlSource } from "../yaml/load-yaml.js";
import { parseYamlSource } from "../yaml/yaml-source.js";
import { importFunction } from "./load-workflow-file.js";

export const DEFINITION_FORMATS = ["yaml", "json"] as const;
export type DefinitionFormat = (typeof DEFINITION_FORMATS)[number];

export interface StoredDefinitionOptions {
  /** The id the definition is stored under: its own `id` must be the same. */
  readonly workflowId: string;
  readonly format: DefinitionFormat;
  readonly actions?: readonly Action<never>[];
  /** Accept `run:` and `uses:` of a file (a server started with --allow-api-shell). Default false. */
  readonly allowCode?: boolean;
  /** What locations name (`body.yaml:7:13`); default `body.<format>`. */
  readonly sourceName?: string;
}

export interface StoredDefinition {
  readonly definition: WorkflowDefinition;
  /** The definition as canonical JSON (keys sorted): what is stored, and what `version` hashes. */
  readonly canonical: string;
  readonly version: string;
}

/**
 * Validate a workflow received as data (YAML or JSON text): every problem at once, each with the
 * line and column in the text it came in (`body:7:13`). Unless `allowCode`, its steps may call
 * actions, sleep and wait, but not run shell commands or functions from files. The version is a
 * hash of the canonical JSON, so the same definition (whatever its formatting) has the same version.
 */
export async function defineStoredWorkflow(
  text: string,
  options: StoredDefinitionOptions,
): Promise<StoredDefinition> {
  const name = options.sourceName ?? `body.${options.format}`;
  if (options.format === "json") {
    try {
      JSON.parse(text);
    } catch (cause) {
      throw new CairnError("INVALID_DEFINITION", `The body is not JSON: ${(cause as Error).message}.`, {
        details: { problems: [`the body is not JSON: ${(cause as Error).message}`] },
      });
    }
  }
  const source = parseYamlSource(name, text);
  const data = source.data as Record<string, unknown> | null;
  if (data && typeof data === "object" && !Array.isArray(data) && data.id !== options.workflowId)
    throw new CairnError(
      "INVALID_DEFINITION",
      `${source.at(["id"])}: the workflow's id ${JSON.stringify(data.id)} is not "${options.workflowId}", the id it is stored under.`,
      {
        details: {
          problems: [
            `${source.at(["id"])}: the id must be "${options.workflowId}", got ${JSON.stringify(data.id)}`,
          ],
        },
      },
    );
  const definition = await defineYamlSource(source, {
    // `uses:` paths (allowed only with allowCode) are resolved from the server's working directory.
    file: path.resolve(name),
    importFunction,
    actions: actionsByName(BUILT_IN_ACTIONS, options.actions ?? []),
    allowCode: options.allowCode ?? false,
    fromFile: false,
  });
  const canonical = canonicalJson(source.data as Json);
  return { definition, canonical, version: shortHash(canonical) };
}

/** JSON with every mapping's keys sorted, so equal definitions are equal text. */
export function canonicalJson(value: Json): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, Json>)[k]!)]),
    );
  return value;
}

import fs from "node:fs";
import path from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { defineWorkflow, type InputSchema, type RawStep, type StepHandler, type WorkflowDefinition } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { shellStep } from "./shell-step.js";

const Duration = z.union([z.number(), z.string()]);
const EnvValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const StepSpec = z.strictObject({
  id: z.string(),
  needs: z.array(z.string()).optional(),
  run: z.string().optional(),
  uses: z.string().optional(),
  retry: z.unknown().optional(),
  timeout: Duration.optional(),
  env: EnvValues.optional(),
  effects: z.string().optional(),
  label: z.string().optional(),
  outputs: z.array(z.string()).optional(),
});

const WorkflowSpec = z.strictObject({
  id: z.string(),
  description: z.string().optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  failFast: z.boolean().optional(),
  recovery: z.string().optional(),
  maxRecoveries: z.number().optional(),
  secrets: z.array(z.string()).optional(),
  checkpointInterval: Duration.optional(),
  env: EnvValues.optional(),
  steps: z.array(z.unknown()),
});

export type ImportFunction = (file: string, exportName: string) => Promise<unknown>;

/**
 * Load a YAML workflow. Syntax errors and schema errors are reported with file, line and column.
 * `uses: ./file.ts#name` steps are resolved relative to the YAML file with `importFunction`.
 */
export async function loadYamlWorkflow(file: string, importFunction: ImportFunction): Promise<WorkflowDefinition> {
  const text = fs.readFileSync(file, "utf8");
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return file;
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new CairnError("INVALID_DEFINITION", `${where(e.pos[0])}: ${e.message.split("\n")[0]}`);
  }
  const data: unknown = doc.toJS();
  const locate = (p: ReadonlyArray<PropertyKey>) => {
    // Walk as far down the path as the document goes and point there.
    for (let n = p.length; n >= 0; n--) {
      const node = doc.getIn(p.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && node.range) return where(node.range[0]);
    }
    return file;
  };
  const describe = (issue: z.core.$ZodIssue) => {
    if (issue.code === "unrecognized_keys") {
      const offset = keyOffset(issue.path.length ? doc.getIn(issue.path as unknown[], true) : doc.contents, String(issue.keys[0]));
      return `${offset === undefined ? locate(issue.path) : where(offset)}: unknown key "${issue.keys.join('", "')}"${issue.path.length ? ` in ${issue.path.join(".")}` : ""}`;
    }
    return `${locate(issue.path)}: ${issue.path.join(".") || "workflow"}: ${issue.message}`;
  };
  const parsed = WorkflowSpec.safeParse(data);
  if (!parsed.success) throw new CairnError("INVALID_DEFINITION", describe(parsed.error.issues[0]!));
  const spec = parsed.data;
  const steps: RawStep[] = [];
  for (const [index, rawStep] of spec.steps.entries()) {
    const step = StepSpec.safeParse(rawStep);
    if (!step.success) {
      const issue = { ...step.error.issues[0]!, path: ["steps", index, ...step.error.issues[0]!.path] } as z.core.$ZodIssue;
      throw new CairnError("INVALID_DEFINITION", describe(issue));
    }
    const s = step.data;
    if ((s.run === undefined) === (s.uses === undefined))
      throw new CairnError("INVALID_DEFINITION", `${locate(["steps", index])}: step "${s.id}" needs exactly one of "run" or "uses".`);
    const env = Object.fromEntries(Object.entries({ ...spec.env, ...s.env }).map(([k, v]) => [k, String(v)]));
    let handler: StepHandler;
    if (s.run !== undefined) handler = shellStep({ command: s.run, env });
    else handler = await resolveUses(s.uses!, file, importFunction, locate(["steps", index, "uses"]));
    const previous = steps.at(-1);
    steps.push({
      id: s.id,
      needs: s.needs ?? (previous ? [previous.id as string] : []),
      handler,
      retry: s.retry,
      timeout: s.timeout,
      effects: s.effects,
      label: s.label,
      outputs: s.outputs,
      // The YAML spec is the step's behaviour (plus the function's source for `uses`).
      source: JSON.stringify({ run: s.run, uses: s.uses, env }) + (s.uses ? handler.toString() : ""),
    });
  }
  let inputSchema: InputSchema | null = null;
  if (spec.input) {
    try {
      inputSchema = z.fromJSONSchema(spec.input as Parameters<typeof z.fromJSONSchema>[0]) as unknown as InputSchema;
    } catch (cause) {
      throw new CairnError("INVALID_DEFINITION", `${locate(["input"])}: input is not a valid JSON Schema: ${(cause as Error).message}`);
    }
  }
  return defineWorkflow({
    id: spec.id,
    steps,
    inputSchema,
    failFast: spec.failFast,
    recovery: spec.recovery,
    maxRecoveries: spec.maxRecoveries,
    secrets: spec.secrets,
    checkpointInterval: spec.checkpointInterval,
    sourceFile: path.resolve(file),
  });
}

/** The offset of `key` inside a YAML mapping node, for pointing at an unknown key. */
function keyOffset(node: unknown, key: string): number | undefined {
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    const k = pair.key as { value?: unknown; range?: [number, number, number] } | null;
    if (k && String(k.value) === key) return k.range?.[0];
  }
  return undefined;
}

async function resolveUses(uses: string, yamlFile: string, importFunction: ImportFunction, at: string): Promise<StepHandler> {
  const [target, exportName = "default"] = uses.split("#");
  if (!target) throw new CairnError("INVALID_DEFINITION", `${at}: uses must look like ./file.ts#exportName.`);
  const file = path.resolve(path.dirname(yamlFile), target);
  if (!fs.existsSync(file)) throw new CairnError("INVALID_DEFINITION", `${at}: uses points to ${target}, which does not exist.`);
  const fn = await importFunction(file, exportName);
  if (typeof fn !== "function")
    throw new CairnError("INVALID_DEFINITION", `${at}: ${target} has no exported function "${exportName}".`);
  return fn as StepHandler;
}


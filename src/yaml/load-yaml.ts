import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Action } from "../core/action.js";
import {
  defineWorkflow,
  type InputSchema,
  type RawStep,
  type WorkflowDefinition,
} from "../core/definition.js";
import { isRecord } from "../core/definition-checks.js";
import { CairnError } from "../core/errors.js";
import { firstLineOf, Located } from "./located-problems.js";
import { envOf, type ImportFunction, readStep } from "./read-step.js";
import { displayPath, parseYamlSource, type YamlSource } from "./yaml-source.js";

export { type ImportFunction, MAP_KEYS, STEP_KEYS } from "./read-step.js";

/** Every key a workflow file may have; anything else is reported at its line and column. */
export const WORKFLOW_KEYS = [
  "id",
  "description",
  "input",
  "failFast",
  "recovery",
  "maxRecoveries",
  "secrets",
  "checkpointInterval",
  "timeout",
  "stepTimeout",
  "resume",
  "schedules",
  "env",
  "steps",
] as const;

/**
 * Load a YAML (or JSON) workflow. Syntax errors, unknown keys and every validation problem are
 * reported together, each with file, line and column. `uses: ./file.ts#name` steps are resolved
 * relative to the YAML file with `importFunction`; `uses: <action>` steps call one of `actions`.
 */
export async function loadYamlWorkflow(
  file: string,
  importFunction: ImportFunction,
  actions: ReadonlyMap<string, Action> = new Map(),
): Promise<WorkflowDefinition> {
  const source = parseYamlSource(file, fs.readFileSync(file, "utf8"));
  return defineYamlSource(source, { file, importFunction, actions, allowCode: true });
}

export interface YamlSourceOptions {
  /** Where the definition lives: `uses:` file paths are resolved next to it. */
  readonly file: string;
  readonly importFunction: ImportFunction;
  readonly actions: ReadonlyMap<string, Action>;
  /**
   * false for a definition received as data (over the API): `run:` shell steps and `uses:` of a file
   * are refused, naming the step, so that whoever may store a workflow cannot run code on a worker.
   */
  readonly allowCode: boolean;
  /** Whether `sourceFile` names `file` (false for a stored definition). */
  readonly fromFile?: boolean;
}

/** The workflow a parsed YAML or JSON document defines; every problem reported at once, located. */
export async function defineYamlSource(
  source: YamlSource,
  options: YamlSourceOptions,
): Promise<WorkflowDefinition> {
  const { file, importFunction, actions } = options;
  const data = source.data;
  const shown = displayPath(file);
  if (data === null || data === undefined)
    throw new CairnError(
      "INVALID_DEFINITION",
      `${shown} is empty; a workflow needs an "id" and a list of "steps".`,
    );
  if (!isRecord(data))
    throw new CairnError(
      "INVALID_DEFINITION",
      `${source.at([])}: a workflow file must be a mapping with "id" and "steps", not a ${Array.isArray(data) ? "list" : typeof data}.`,
    );
  const problems = new Located(source);
  problems.unknownKeys(data, [], WORKFLOW_KEYS, "");
  problems.expect(data.description, "string", ["description"], "description");
  const workflowEnv = envOf(data.env, ["env"], problems);
  if (problems.expect(data.secrets, "list of strings", ["secrets"], "secrets") === false)
    data.secrets = undefined;

  let rawSteps: unknown[] = [];
  if (Array.isArray(data.steps)) rawSteps = data.steps;
  else if (data.steps !== undefined) problems.add(source.at(["steps"]), "steps must be a list of steps");

  const steps: RawStep[] = [];
  for (const [index, value] of rawSteps.entries()) {
    const p = ["steps", index];
    if (!isRecord(value)) {
      problems.add(source.at(p), `each step must be a mapping with an "id", got ${JSON.stringify(value)}`);
      continue;
    }
    steps.push(
      await readStep(value, {
        index,
        file,
        workflowEnv,
        importFunction,
        actions,
        allowCode: options.allowCode,
        secrets: Array.isArray(data.secrets) ? (data.secrets as string[]) : [],
        problems,
        previous: steps.at(-1),
      }),
    );
  }

  let inputSchema: InputSchema | null = null;
  if (problems.expect(data.input, "mapping", ["input"], "input") && data.input !== undefined) {
    try {
      inputSchema = z.fromJSONSchema(
        data.input as Parameters<typeof z.fromJSONSchema>[0],
      ) as unknown as InputSchema;
    } catch (cause) {
      problems.add(source.at(["input"]), `input is not a JSON Schema Cairn can use: ${firstLineOf(cause)}`);
    }
  }
  let schedules: unknown[] = [];
  if (Array.isArray(data.schedules)) schedules = data.schedules;
  else if (data.schedules !== undefined)
    problems.add(source.at(["schedules"]), "schedules must be a list of schedules");
  return defineWorkflow({
    id: data.id,
    steps,
    inputSchema,
    failFast: data.failFast,
    recovery: data.recovery,
    maxRecoveries: data.maxRecoveries,
    secrets: (data.secrets as string[] | undefined) ?? [],
    checkpointInterval: data.checkpointInterval,
    timeout: data.timeout,
    stepTimeout: data.stepTimeout,
    resume: data.resume,
    schedules: schedules.map((value, i) => ({ value, location: source.at(["schedules", i]) })),
    sourceFile: options.fromFile === false ? null : path.resolve(file),
    problems: problems.list,
  });
}

import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { type Action, isActionName } from "../core/action.js";
import { actionStepHandler, actionStepProblems } from "../core/action-step.js";
import {
  defineWorkflow,
  type InputSchema,
  type RawStep,
  type StepHandler,
  type WorkflowDefinition,
} from "../core/definition.js";
import { isRecord } from "../core/definition-checks.js";
import { CairnError } from "../core/errors.js";
import type { RawMap } from "../core/map-spec.js";
import { shellItem, shellStep } from "./shell-step.js";
import { signalWaitStep, sleepStep, untilStep } from "./wait-steps.js";
import { displayPath, parseYamlSource, type YamlSource } from "./yaml-source.js";

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
export const STEP_KEYS = [
  "id",
  "needs",
  "run",
  "uses",
  "sleep",
  "until",
  "wait",
  "retry",
  "timeout",
  "env",
  "effects",
  "label",
  "outputs",
  "map",
  "with",
] as const;
export const MAP_KEYS = ["items", "concurrency", "key", "maxFailures", "retry", "timeout"] as const;

/** Imports a `uses:` target's export (given by the loader, which owns module loading); rejects with one line. */
export type ImportFunction = (file: string, exportName: string) => Promise<unknown>;

/** Problems found while reading the file, each with the file, line and column it is about. */
class Located {
  readonly list: string[] = [];
  constructor(readonly source: YamlSource) {}
  add(at: string, message: string): void {
    this.list.push(`${at}: ${message}`);
  }
  unknownKeys(
    value: Record<string, unknown>,
    p: Array<string | number>,
    known: readonly string[],
    what: string,
  ) {
    for (const key of Object.keys(value))
      if (!known.includes(key))
        this.add(this.source.keyAt(p, key), `${what}unknown key "${key}" (known: ${known.join(", ")})`);
  }
  /** Adds a problem unless `value` is absent or of the expected shape. */
  expect(
    value: unknown,
    shape: "string" | "list of strings" | "mapping",
    p: Array<string | number>,
    what: string,
  ) {
    if (value === undefined) return true;
    const ok =
      shape === "string"
        ? typeof value === "string"
        : shape === "mapping"
          ? isRecord(value)
          : Array.isArray(value) && value.every((v) => typeof v === "string");
    if (!ok)
      this.add(this.source.at(p), `${what} must be a ${shape}, got ${JSON.stringify(value) ?? typeof value}`);
    return ok;
  }
}

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

interface StepContextInFile {
  readonly index: number;
  readonly file: string;
  readonly workflowEnv: Record<string, string>;
  readonly importFunction: ImportFunction;
  readonly actions: ReadonlyMap<string, Action>;
  readonly allowCode: boolean;
  readonly secrets: readonly string[];
  readonly problems: Located;
  readonly previous: RawStep | undefined;
}

async function readStep(s: Record<string, unknown>, c: StepContextInFile): Promise<RawStep> {
  const { problems } = c;
  const p = ["steps", c.index];
  const name = typeof s.id === "string" && s.id ? `step "${s.id}": ` : `step #${c.index + 1}: `;
  problems.unknownKeys(s, p, STEP_KEYS, name);
  // A bad `needs` is reported; the step is then treated as a root so that no follow-up problem is invented.
  const needsOk = problems.expect(s.needs, "list of strings", [...p, "needs"], `${name}needs`);
  const runOk = problems.expect(s.run, "string", [...p, "run"], `${name}run`);
  const usesOk = problems.expect(s.uses, "string", [...p, "uses"], `${name}uses`);
  const outputsOk = problems.expect(s.outputs, "list of strings", [...p, "outputs"], `${name}outputs`);
  const env = { ...c.workflowEnv, ...envOf(s.env, [...p, "env"], problems, name) };
  let handler: StepHandler = () => undefined; // stands in while a problem is reported
  // Omitted: the step before it in the list, so that a plain list is a sequence. `needs: []`: a root.
  const previousId = c.previous?.id;
  let needs: unknown[] = [];
  if (s.needs === undefined) needs = typeof previousId === "string" ? [previousId] : [];
  else if (needsOk) needs = s.needs as string[];
  // `uses: http.request` calls an action; `uses: ./steps.ts#fn` (a path, a # or a module suffix) a function.
  const callsAction = typeof s.uses === "string" && isActionName(s.uses);
  let action: Action | undefined;
  if (s.with !== undefined && !callsAction)
    problems.add(
      problems.source.keyAt(p, "with"),
      `${name}with gives an action's parameters; it goes with uses: <action name>`,
    );
  const code = !c.allowCode && (s.run !== undefined || (s.uses !== undefined && !callsAction));
  if (code)
    problems.add(
      problems.source.at([...p, s.run !== undefined ? "run" : "uses"]),
      `${name}${s.run !== undefined ? "a shell command (run:)" : "a function from a file (uses: a path)"} is refused in a workflow stored as data: use registered actions (opt-in: serve --allow-api-shell, workflows push --allow-shell)`,
    );
  const kinds = (["run", "uses", "sleep", "until", "wait"] as const).filter((k) => s[k] !== undefined);
  if (kinds.length !== 1)
    problems.add(
      problems.source.at(p),
      `${name}needs exactly one of "run" (a shell command), "uses" (an action name, or ./file.ts#exportName), "sleep" (a duration), "until" (a time) or "wait" (a signal)${kinds.length > 1 ? `, not ${kinds.map((k) => `"${k}"`).join(" and ")}` : ""}`,
    );
  else if (kinds[0] === "wait") {
    const made = signalWaitStep(s.wait);
    if (Array.isArray(made))
      for (const problem of made) problems.add(problems.source.at([...p, "wait"]), `${name}${problem}`);
    else handler = made;
  } else if (kinds[0] === "sleep" || kinds[0] === "until") {
    const made = kinds[0] === "sleep" ? sleepStep(s.sleep) : untilStep(s.until);
    if (typeof made === "string") problems.add(problems.source.at([...p, kinds[0]]), `${name}${made}`);
    else handler = made;
  } else if (code) {
    // refused above
  } else if (s.run !== undefined && runOk) handler = shellStep({ command: s.run as string, env });
  else if (callsAction) {
    action = c.actions.get(s.uses as string);
    handler = (await readActionStep(s, action, needs, c)) ?? handler;
  } else if (s.uses !== undefined && usesOk) {
    const resolved = await resolveUses(s.uses as string, c.file, c.importFunction);
    if (typeof resolved === "string") problems.add(problems.source.at([...p, "uses"]), `${name}${resolved}`);
    else handler = resolved;
  }
  const map = s.map === undefined ? undefined : readMap(s, handler, env, c);
  return {
    id: s.id,
    needs,
    handler,
    retry: s.retry,
    timeout: s.timeout,
    effects: s.effects,
    label: s.label,
    outputs: outputsOk ? (s.outputs as string[] | undefined) : [],
    ...(map ? { map } : {}),
    ...(action ? { action } : {}),
    location: problems.source.at(p),
    // The YAML spec is the step's behaviour (plus the function's source for `uses`).
    source:
      JSON.stringify({
        run: s.run,
        uses: s.uses,
        sleep: s.sleep,
        until: s.until,
        wait: s.wait,
        env,
        map: s.map,
        with: s.with,
      }) + (s.uses && !callsAction ? handler.toString() : ""),
  };
}

/**
 * `uses: <action name>` with `with: { … }`: the action must be registered, its parameters must fit
 * its schema (those holding expressions are checked when the step runs), and expressions may read
 * only the step's needs and the declared secrets. Problems point at the value they are about.
 */
async function readActionStep(
  s: Record<string, unknown>,
  action: Action | undefined,
  needs: readonly unknown[],
  c: StepContextInFile,
): Promise<StepHandler | undefined> {
  const { problems } = c;
  const p = ["steps", c.index];
  const name = typeof s.id === "string" && s.id ? `step "${s.id}": ` : `step #${c.index + 1}: `;
  if (!action) {
    const known = [...c.actions.keys()].sort().join(", ") || "none";
    problems.add(
      problems.source.at([...p, "uses"]),
      `${name}unknown action "${String(s.uses)}" (registered actions: ${known})`,
    );
    return undefined;
  }
  if (s.map !== undefined) {
    problems.add(problems.source.keyAt(p, "map"), `${name}a map step cannot call an action`);
    return undefined;
  }
  if (!problems.expect(s.with, "mapping", [...p, "with"], `${name}with`)) return undefined;
  const spec = {
    action,
    with: (s.with ?? {}) as Record<string, unknown>,
    needs: needs.filter((n): n is string => typeof n === "string"),
    secrets: c.secrets,
  };
  const found = await actionStepProblems(spec);
  for (const problem of found) {
    const at = [...p, "with", ...problem.at];
    const shown = problem.at.length > 0 ? `with.${problem.at.join(".")}` : "with";
    problems.add(problems.source.at(at), `${name}${shown}: ${problem.message}`);
  }
  return found.length === 0 ? actionStepHandler(spec) : undefined;
}

/**
 * `map: { items: plan.topics, concurrency: 4, key: id }`: the step's `run:` or `uses:` runs once per
 * item. A `run:` command gets the item in $CAIRN_ITEM (JSON), $CAIRN_ITEM_FILE, $CAIRN_ITEM_INDEX and
 * $CAIRN_ITEM_KEY; a `uses:` function is called as `fn(item, ctx)`.
 */
function readMap(
  s: Record<string, unknown>,
  handler: StepHandler,
  env: Record<string, string>,
  c: StepContextInFile,
): RawMap | undefined {
  const { problems } = c;
  const p = ["steps", c.index, "map"];
  const name = typeof s.id === "string" && s.id ? `step "${s.id}": ` : `step #${c.index + 1}: `;
  if (!problems.expect(s.map, "mapping", p, `${name}map`)) return undefined;
  const m = s.map as Record<string, unknown>;
  problems.unknownKeys(m, p, MAP_KEYS, `${name}map: `);
  if (s.run === undefined && s.uses === undefined) {
    problems.add(
      problems.source.at(p),
      `${name}a map runs "run" (a shell command) or "uses" (a function) per item`,
    );
    return undefined;
  }
  const itemHandler =
    s.run !== undefined && typeof s.run === "string" ? shellItem({ command: s.run, env }) : handler;
  return {
    items: m.items,
    concurrency: m.concurrency,
    key: m.key,
    maxFailures: m.maxFailures,
    retry: m.retry,
    timeout: m.timeout,
    handler: itemHandler,
  };
}

/** `env:` values: scalars, passed to the command as strings. */
function envOf(
  value: unknown,
  p: Array<string | number>,
  problems: Located,
  name = "",
): Record<string, string> {
  if (!problems.expect(value, "mapping", p, `${name}env`) || value === undefined) return {};
  const env: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      problems.add(
        problems.source.keyAt(p, key),
        `${name}env name "${key}" must be an identifier like API_URL`,
      );
    else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") env[key] = String(v);
    else
      problems.add(problems.source.at([...p, key]), `${name}env.${key} must be a string, number or boolean`);
  }
  return env;
}

/** The function a `uses: ./file.ts#exportName` names, or a problem sentence. */
async function resolveUses(
  uses: string,
  yamlFile: string,
  importFunction: ImportFunction,
): Promise<StepHandler | string> {
  const [target, exportName = "default", ...extra] = uses.split("#");
  if (!target || extra.length > 0 || exportName === "")
    return `uses must look like ./file.ts#exportName, got "${uses}"`;
  const file = path.resolve(path.dirname(yamlFile), target);
  if (!fs.existsSync(file)) return `uses points to ${target}, which does not exist`;
  let fn: unknown;
  try {
    fn = await importFunction(file, exportName);
  } catch (cause) {
    return `cannot load ${target}: ${firstLineOf(cause)}`;
  }
  if (typeof fn !== "function") return `${target} has no exported function "${exportName}"`;
  return fn as StepHandler;
}

function firstLineOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/**
 * One entry of a workflow file's `steps:` read into a step: its kind (run, uses, sleep, until, wait
 * or run-workflow), an action's parameters, its map and env. Problems go to the file's list, located.
 */

import fs from "node:fs";
import path from "node:path";
import { type Action, isActionName } from "../core/action.js";
import { actionStepHandler, actionStepProblems } from "../core/action-step.js";
import type { RawStep, StepHandler } from "../core/definition.js";
import type { RawMap } from "../core/map-spec.js";
import { runWorkflowStep } from "./child-step.js";
import { firstLineOf, type Located } from "./located-problems.js";
import { shellItem, shellStep } from "./shell-step.js";
import { signalWaitStep, sleepStep, untilStep } from "./wait-steps.js";

/** Every key a step may have, and every key of its `map:`. */
export const STEP_KEYS = [
  "id",
  "needs",
  "run",
  "uses",
  "sleep",
  "until",
  "wait",
  "run-workflow",
  "input",
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

export interface StepContextInFile {
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

export async function readStep(s: Record<string, unknown>, c: StepContextInFile): Promise<RawStep> {
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
  const kinds = (["run", "uses", "sleep", "until", "wait", "run-workflow"] as const).filter(
    (k) => s[k] !== undefined,
  );
  if (s.input !== undefined && s["run-workflow"] === undefined)
    problems.add(
      problems.source.keyAt(p, "input"),
      `${name}input is a child run's input; it goes with run-workflow: <workflow id>`,
    );
  if (kinds.length !== 1)
    problems.add(
      problems.source.at(p),
      `${name}needs exactly one of "run" (a shell command), "uses" (an action name, or ./file.ts#exportName), "sleep" (a duration), "until" (a time), "wait" (a signal) or "run-workflow" (a workflow id)${kinds.length > 1 ? `, not ${kinds.map((k) => `"${k}"`).join(" and ")}` : ""}`,
    );
  else if (kinds[0] === "run-workflow") {
    const made = runWorkflowStep(
      s["run-workflow"],
      s.input,
      needs.filter((n): n is string => typeof n === "string"),
    );
    if (Array.isArray(made))
      for (const problem of made)
        problems.add(problems.source.at([...p, ...problem.at]), `${name}${problem.message}`);
    else handler = made;
  } else if (kinds[0] === "wait") {
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
        "run-workflow": s["run-workflow"],
        input: s.input,
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
export function envOf(
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

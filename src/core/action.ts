import type { InputSchema, StepContext } from "./definition.js";

export type { ActionRef } from "./definition.js";

import { CairnError } from "./errors.js";

/**
 * An action: a reusable step type with parameters. A definition written as data (YAML, JSON, a
 * workflow stored over the API) calls one with `uses: <name>` and `with: { … }`; its parameters are
 * checked against `params` when the workflow is defined and again, with expressions resolved, when
 * the step runs.
 */
export interface Action<P = unknown> {
  readonly name: string;
  /** Part of the fingerprint of every step that uses it: bump it when the handler's behaviour changes. */
  readonly version: string;
  readonly description: string | null;
  readonly params: InputSchema;
  readonly handler: (params: P, ctx: StepContext, needs: Readonly<Record<string, unknown>>) => unknown;
}

export interface ActionOptions<P> {
  /** Lowercase words joined by "." (`http.request`, `slack.post-message`). */
  name: string;
  version: string | number;
  description?: string | null;
  /** A Standard Schema (zod, valibot, arktype…) of the `with:` mapping. */
  params: InputSchema & { readonly "~standard": { readonly types?: { readonly output: P } } };
  handler: (params: P, ctx: StepContext, needs: Readonly<Record<string, unknown>>) => unknown;
}

export const ACTION_NAME = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*$/;
/** A `uses:` ending in one of these names a module file (`steps.ts`), not an action. */
const MODULE_SUFFIX = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

/** Whether a `uses:` value names an action rather than a function in a file (`./steps.ts#fn`). */
export function isActionName(uses: string): boolean {
  return ACTION_NAME.test(uses) && !MODULE_SUFFIX.test(uses);
}

/**
 * Define an action for `uses: <name>` steps; register it with `Cairn.open({ actions: [...] })`
 * (and pass the same list to `loadOneWorkflow` when loading files yourself).
 *
 * @example
 * export const greet = defineAction({
 *   name: "greet", version: 1,
 *   params: z.object({ name: z.string() }),
 *   handler: ({ name }) => `Hello, ${name}!`,
 * });
 */
export function defineAction<P>(options: ActionOptions<P>): Action<P> {
  const { name, version, params, handler } = options;
  if (typeof name !== "string" || !isActionName(name))
    throw new CairnError(
      "INVALID_DEFINITION",
      `Action name ${JSON.stringify(name)} must be lowercase words joined by "." (like "http.request").`,
    );
  if ((typeof version !== "string" || version === "") && typeof version !== "number")
    throw new CairnError("INVALID_DEFINITION", `Action "${name}" needs a version (a string or a number).`);
  if (typeof params?.["~standard"]?.validate !== "function")
    throw new CairnError(
      "INVALID_DEFINITION",
      `Action "${name}": params must be a schema implementing Standard Schema (zod, valibot, arktype…).`,
    );
  if (typeof handler !== "function")
    throw new CairnError("INVALID_DEFINITION", `Action "${name}" has no handler function.`);
  return Object.freeze({
    name,
    version: String(version),
    description: options.description ?? null,
    params,
    handler: handler as Action<P>["handler"],
  });
}

/** Actions by name; a name given twice is refused (the second would silently win otherwise). */
export function actionsByName(...lists: ReadonlyArray<readonly Action<never>[]>): Map<string, Action> {
  const byName = new Map<string, Action>();
  for (const action of lists.flat()) {
    const known = byName.get(action.name);
    if (known && known !== (action as unknown))
      throw new CairnError("USAGE", `Two actions are named "${action.name}"; action names must be unique.`);
    byName.set(action.name, action as unknown as Action);
  }
  return byName;
}

import type { Action } from "./action.js";
import type { InputSchema, StepHandler } from "./definition.js";
import { findReferences, hasExpression, MissingReference, resolveExpressions } from "./expressions.js";

/** A problem in a `with:` mapping, at a path below it (for the front door to turn into a location). */
export interface WithProblem {
  readonly at: ReadonlyArray<string | number>;
  readonly message: string;
}

export interface ActionStepSpec {
  readonly action: Action;
  /** The `with:` mapping as written, expressions unresolved. */
  readonly with: Record<string, unknown>;
  /** The step's needs (expressions may read only these steps' outputs). */
  readonly needs: readonly string[];
  /** The workflow's declared secrets (expressions may read only these). */
  readonly secrets: readonly string[];
}

/**
 * The problems of an action step known when the workflow is defined: bad expressions, references to
 * steps outside its needs or to undeclared secrets, and parameters the action's schema refuses. A
 * parameter holding an expression is checked only when the step runs, once its value is known.
 */
export async function actionStepProblems(spec: ActionStepSpec): Promise<WithProblem[]> {
  const problems: WithProblem[] = [];
  for (const { at, reference } of findReferences(spec.with)) {
    if (typeof reference === "string") problems.push({ at, message: reference });
    else if (reference.root === "needs" && !spec.needs.includes(reference.path[0] as string))
      problems.push({
        at,
        message: `\${{ ${reference.text} }} reads step "${String(reference.path[0])}", which is not in the step's needs`,
      });
    else if (reference.root === "secrets" && !spec.secrets.includes(reference.path[0] as string))
      problems.push({
        at,
        message: `\${{ ${reference.text} }} reads secret "${String(reference.path[0])}", which the workflow does not declare in secrets`,
      });
  }
  for (const issue of await schemaIssues(spec.action.params, spec.with))
    if (issue.known || !dependsOnExpression(spec.with, issue.at))
      problems.push({ at: issue.at, message: issue.message });
  return problems;
}

/**
 * The step's handler: resolve the expressions against the run input, the needs' outputs and the
 * secrets, check the parameters, call the action. A missing reference or a refused parameter fails
 * the step with a sentence naming it (never the value: it may come from a secret).
 */
export function actionStepHandler(spec: ActionStepSpec): StepHandler {
  const { action } = spec;
  return async (context) => {
    const ctx = context as unknown as Parameters<Action["handler"]>[1];
    let resolved: unknown;
    try {
      resolved = resolveExpressions(spec.with, { input: ctx.input, needs: ctx.needs, secrets: ctx.secrets });
    } catch (error) {
      if (error instanceof MissingReference)
        throw new Error(`action "${action.name}": ${error.message}`, { cause: error });
      throw error;
    }
    const result = await action.params["~standard"].validate(resolved);
    const issues = (result as { issues?: ReadonlyArray<StandardIssue> }).issues;
    if (issues)
      throw new Error(
        `action "${action.name}": its parameters are invalid: ${issues.map(issueText).join("; ")}`,
      );
    return action.handler((result as { value: unknown }).value, ctx, ctx.needs);
  };
}

type StandardIssue = {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  /** zod's unknown keys (`code: "unrecognized_keys"`), reported at the mapping that holds them. */
  keys?: readonly string[];
};

function issuePath(issue: StandardIssue): Array<string | number> {
  return (issue.path ?? []).map((p) => {
    const key = typeof p === "object" ? p.key : p;
    return typeof key === "number" ? key : String(key);
  });
}

function issueText(issue: StandardIssue): string {
  const path = issuePath(issue).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

async function schemaIssues(
  schema: InputSchema,
  value: unknown,
): Promise<Array<WithProblem & { known: boolean }>> {
  const result = await schema["~standard"].validate(value);
  const issues = (result as { issues?: ReadonlyArray<StandardIssue> }).issues ?? [];
  return issues.map((issue) => {
    const at = issuePath(issue);
    const message = issue.message;
    // An unknown key is wrong whatever the expressions beside it resolve to: point at the key.
    if (Array.isArray(issue.keys) && issue.keys.length > 0)
      return { at: [...at, issue.keys[0]!], message, known: true };
    return { at, message, known: false };
  });
}

/**
 * Whether the value an issue is about holds an expression, or sits inside a string that does: then
 * the value is not known until the step runs and the issue says nothing yet. A missing key does not.
 */
function dependsOnExpression(root: unknown, at: ReadonlyArray<string | number>): boolean {
  let current = root;
  for (const key of at) {
    if (typeof current === "string") return hasExpression(current);
    if (typeof current !== "object" || current === null) return false;
    current = (current as Record<string | number, unknown>)[key];
  }
  return hasExpression(current);
}

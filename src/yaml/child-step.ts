import type { StepHandler } from "../core/definition.js";
import { findReferences, MissingReference, resolveExpressions } from "../core/expressions.js";

/** A problem of a `run-workflow:` step, at a path below the step (for a located message). */
export interface ChildStepProblem {
  readonly at: ReadonlyArray<string | number>;
  readonly message: string;
}

/**
 * The handler of a `run-workflow: <id>` step with its `input:` (which may hold `${{ input.… }}` and
 * `${{ needs.<step>.output.… }}` expressions), or the problems found. Its output is the child run's
 * output (engine/child-wait.ts). Secrets cannot go into a child's input: a run's input is stored.
 */
export function runWorkflowStep(
  workflowId: unknown,
  input: unknown,
  needs: readonly string[],
): StepHandler | ChildStepProblem[] {
  const problems: ChildStepProblem[] = [];
  if (typeof workflowId !== "string" || !/^[A-Za-z0-9_.-]{1,128}$/.test(workflowId))
    problems.push({ at: ["run-workflow"], message: "run-workflow must be a workflow id" });
  for (const { at, reference } of findReferences(input, ["input"])) {
    if (typeof reference === "string") problems.push({ at, message: reference });
    else if (reference.root === "secrets")
      problems.push({
        at,
        message: `\${{ ${reference.text} }}: a child run's input is stored, so it cannot hold a secret (the child declares its own secrets)`,
      });
    else if (reference.root === "needs" && !needs.includes(reference.path[0] as string))
      problems.push({
        at,
        message: `\${{ ${reference.text} }} reads step "${String(reference.path[0])}", which is not in the step's needs`,
      });
  }
  if (problems.length > 0) return problems;
  return async (ctx) => {
    let resolved: unknown;
    try {
      resolved = resolveExpressions(input ?? {}, { input: ctx.input, needs: ctx.needs, secrets: {} });
    } catch (error) {
      if (error instanceof MissingReference)
        throw new Error(`run-workflow "${workflowId as string}": ${error.message}`, { cause: error });
      throw error;
    }
    return ctx.runWorkflow(workflowId as string, resolved);
  };
}

import { firstLine } from "./errors.js";
import { downstreamClosure, type GraphNode } from "./graph.js";
import type { Json, RerunReason, StepRecord, StepStatus } from "./types.js";

/**
 * The DAG-consistency rule for partial re-execution, applied by resume and rerun alike:
 *   the steps to execute are the selected / failed / changed steps plus everything downstream of
 *   them; every step that was `running` is executed again (a `running` state is never reused); and a
 *   reused output is never one whose upstream is being executed again.
 */

export const PLAN_ACTIONS = ["keep", "retry", "reset", "run", "rerun", "blocked", "mark-done"] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

export const ON_CHANGE = ["error", "rerun", "keep"] as const;
export type OnChange = (typeof ON_CHANGE)[number];

export interface ResumeOptions {
  /** Execute failed steps again (default true). */
  retryFailed?: boolean;
  /** Execute steps that were running when their owner stopped (default true); false marks them failed. */
  resetRunning?: boolean;
  /** Total executions a step may have across resumes; beyond it the step fails with "retry budget exhausted". */
  maxAttempts?: number;
  /** Forget the attempts already used (with maxAttempts). */
  resetAttempts?: boolean;
  /** What to do with succeeded steps whose definition changed since they ran (default "error"). */
  onChange?: OnChange;
  /** Record this step as succeeded with the given output, then continue. */
  markDone?: { stepId: string; output: Json };
}

export interface PlanStep {
  stepId: string;
  status: StepStatus | "new";
  action: PlanAction;
  /** Why, in words: "failed: connection refused", "downstream of fetch", "definition changed". */
  why: string;
  cause: RerunReason | null;
}

export interface ResumePlan {
  steps: PlanStep[];
  /** Succeeded steps whose fingerprint differs from the current definition. */
  changed: string[];
  /** Recorded steps the current definition no longer has. */
  unknown: string[];
  /** A refusal that makes the plan impossible to carry out, or null. */
  refusal: string | null;
  summary: Record<PlanAction, number>;
}

export interface PlanInput {
  readonly nodes: readonly GraphNode[];
  readonly order: readonly string[];
  readonly fingerprints: ReadonlyMap<string, string>;
  readonly steps: readonly StepRecord[];
  readonly options: ResumeOptions;
  /** Steps whose declared output files are missing or changed, with the files. */
  readonly changedFiles: ReadonlyMap<string, readonly string[]>;
}

const EXECUTES: ReadonlySet<PlanAction> = new Set(["retry", "reset", "run", "rerun"]);

export function computeResumePlan(input: PlanInput): ResumePlan {
  const opts = {
    retryFailed: input.options.retryFailed ?? true,
    resetRunning: input.options.resetRunning ?? true,
    onChange: input.options.onChange ?? "error",
  };
  const rows = new Map(input.steps.map((s) => [s.stepId, s]));
  const known = new Set(input.order);
  const unknown = input.steps.map((s) => s.stepId).filter((id) => !known.has(id));
  const changed: string[] = [];
  const plan = new Map<string, PlanStep>();
  const markDone = input.options.markDone?.stepId;
  const nodeById = new Map(input.nodes.map((n) => [n.id, n]));
  const fingerprintDiffers = new Set<string>();
  let refusal: string | null = null;

  for (const id of input.order) {
    const row = rows.get(id);
    const set = (action: PlanAction, why: string, cause: RerunReason | null = null) =>
      plan.set(id, { stepId: id, status: row?.status ?? "new", action, why, cause });
    if (id === markDone) {
      if (row?.status === "succeeded")
        refusal = `Step "${id}" already succeeded; only a step that did not succeed can be marked done.`;
      set("mark-done", "marked done by hand with the given output");
      continue;
    }
    if (!row) {
      set("run", "new in the current definition");
      continue;
    }
    switch (row.status) {
      case "succeeded": {
        // Fingerprints include upstream fingerprints; a step whose upstream changed is "downstream",
        // only the step whose own definition changed is reported as changed.
        const differs =
          row.fingerprint !== null &&
          row.provenance?.kind !== "manual" &&
          row.fingerprint !== input.fingerprints.get(id);
        const upstreamChanged = (nodeById.get(id)?.needs ?? []).some((n) => fingerprintDiffers.has(n));
        if (differs) fingerprintDiffers.add(id);
        const isChanged = differs && !upstreamChanged;
        const files = input.changedFiles.get(id);
        if (isChanged) changed.push(id);
        if (isChanged && opts.onChange === "rerun")
          set("rerun", "its definition changed since it ran", "definition-changed");
        else if (files && files.length > 0)
          set("rerun", `declared file ${files.join(", ")} is missing or changed`, "declared-file-changed");
        else if (differs && opts.onChange === "keep")
          set("keep", "definition changed, output kept (onChange: keep)");
        else if (row.provenance?.kind === "reused")
          set("keep", `succeeded; output reused from run ${row.provenance.fromRunId}`);
        else set("keep", "succeeded; its recorded output is returned");
        break;
      }
      case "failed": {
        const budget = input.options.maxAttempts;
        const error = firstLine(row.error?.message) || "no message";
        if (budget !== undefined && !input.options.resetAttempts && row.attempts >= budget)
          set("blocked", `retry budget exhausted: ${row.attempts} of ${budget} attempts used`);
        else if (opts.retryFailed) {
          const codeChanged = row.fingerprint !== null && row.fingerprint !== input.fingerprints.get(id);
          set("retry", `failed: ${error}${codeChanged ? " (its definition changed since)" : ""}`, "failed");
        } else set("blocked", `failed and retryFailed is off: ${error}`);
        break;
      }
      case "running":
        if (opts.resetRunning) set("reset", "was running when its run stopped; it runs again", "was-running");
        else set("blocked", "was running when its run stopped; marked failed (resetRunning is off)");
        break;
      case "cancelled":
        set("run", "was cancelled; it runs again", "was-cancelled");
        break;
      default:
        set("run", "had not run yet");
    }
  }

  // Everything downstream of a step that executes again executes again too (never reuse an output
  // whose upstream changes), and everything downstream of a blocked step is blocked.
  const executing = [...plan.values()].filter((p) => EXECUTES.has(p.action)).map((p) => p.stepId);
  for (const id of downstreamClosure(input.nodes, executing)) {
    const step = plan.get(id)!;
    if (step.action === "keep")
      plan.set(id, { ...step, action: "rerun", why: downstreamWhy(id, input, plan), cause: "downstream" });
  }
  const blocked = [...plan.values()].filter((p) => p.action === "blocked").map((p) => p.stepId);
  for (const id of downstreamClosure(input.nodes, blocked)) {
    const step = plan.get(id)!;
    if (step.action === "run" && step.status !== "new")
      plan.set(id, { ...step, action: "blocked", why: "waits for a blocked step upstream" });
  }

  if (unknown.length > 0)
    refusal = `Unknown step in checkpoint: ${unknown.map((s) => `"${s}"`).join(", ")} ${unknown.length > 1 ? "are" : "is"} recorded in the run but not in the current definition. Restore the step or restart the run.`;
  else if (changed.length > 0 && opts.onChange === "error")
    refusal = `The definition changed since the run started for ${changed.map((s) => `"${s}"`).join(", ")}. Choose onChange "rerun" to execute them and their downstream again, or "keep" to keep their outputs.`;

  const steps = input.order.map((id) => plan.get(id)!);
  const summary = Object.fromEntries(PLAN_ACTIONS.map((a) => [a, 0])) as Record<PlanAction, number>;
  for (const s of steps) summary[s.action]++;
  return { steps, changed, unknown, refusal, summary };
}

function downstreamWhy(id: string, input: PlanInput, plan: ReadonlyMap<string, PlanStep>): string {
  const node = input.nodes.find((n) => n.id === id);
  const upstream = node?.needs.find((n) => EXECUTES.has(plan.get(n)?.action ?? "keep"));
  return upstream ? `downstream of "${upstream}", which runs again` : "downstream of a step that runs again";
}

import { firstLine } from "./errors.js";
import { downstreamClosure, type GraphNode } from "./graph.js";
import type { Json, RerunReason, StepRecord, StepStatus } from "./types.js";

/**
 * The DAG-consistency rule for partial re-execution, applied by resume and rerun alike:
 *   the steps to execute are the selected / failed / changed steps plus everything downstream of
 *   them; every step that was `running` is executed again (a `running` state is never reused); and a
 *   reused output is never one whose upstream is being executed again. A rerun reuses only succeeded
 *   steps of its source run: any other step it would have to reuse refuses the rerun.
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
  /** Why, in words: "failed: connection refused", "downstream of changed \"fetch\"", "selected". */
  why: string;
  cause: RerunReason | null;
  /** For a kept step: the run whose recorded output is used; otherwise null. */
  fromRunId: string | null;
}

export interface ResumePlan {
  steps: PlanStep[];
  /** Succeeded steps whose own definition differs from the current definition. */
  changed: string[];
  /** Recorded steps the current definition no longer has. */
  unknown: string[];
  /** A refusal that makes the plan impossible to carry out, or null. */
  refusal: string | null;
  summary: Record<PlanAction, number>;
}

/** A rerun: a new run that executes the selected steps and reuses the source run's other outputs. */
export interface RerunScope {
  readonly sourceRunId: string;
  readonly selected: readonly string[];
}

export interface PlanInput {
  readonly nodes: readonly GraphNode[];
  readonly order: readonly string[];
  readonly fingerprints: ReadonlyMap<string, string>;
  /** The recorded steps: of the run itself (resume) or of the source run (rerun). */
  readonly steps: readonly StepRecord[];
  readonly options: ResumeOptions;
  /** Steps whose declared output files are missing or changed, with the files. */
  readonly changedFiles: ReadonlyMap<string, readonly string[]>;
  /** Present for a rerun; absent for a resume. */
  readonly rerun?: RerunScope;
}

const EXECUTES: ReadonlySet<PlanAction> = new Set(["retry", "reset", "run", "rerun"]);
const quoted = (ids: readonly string[]) => ids.map((s) => `"${s}"`).join(", ");

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
  const scope = input.rerun;
  const selected = new Set(scope?.selected ?? []);
  const selectedClosure = downstreamClosure(input.nodes, [...selected]);
  // The changed step each step's fingerprint difference comes from (itself when its own definition
  // changed). Fingerprints include upstream fingerprints, so only a step none of whose upstream
  // steps changed is reported as changed; the others are "downstream of changed X".
  const changedRoot = new Map<string, string>();
  let refusal: string | null = null;

  for (const id of input.order) {
    const row = rows.get(id);
    const set = (action: PlanAction, why: string, cause: RerunReason | null = null) =>
      plan.set(id, { stepId: id, status: row?.status ?? "new", action, why, cause, fromRunId: null });
    const upstreamRoot = (nodeById.get(id)?.needs ?? []).map((n) => changedRoot.get(n)).find(Boolean);
    const differs =
      row !== undefined &&
      row.fingerprint !== null &&
      row.provenance?.kind !== "manual" &&
      row.fingerprint !== input.fingerprints.get(id);
    if (upstreamRoot) changedRoot.set(id, upstreamRoot);
    else if (differs) changedRoot.set(id, id);
    const ownChange = differs && !upstreamRoot;
    const changeNote = ownChange
      ? " (its definition changed since)"
      : upstreamRoot && differs
        ? ` (downstream of changed "${upstreamRoot}")`
        : "";
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
    if (selected.has(id)) {
      const error =
        row.status === "failed" ? `failed: ${firstLine(row.error?.message) || "no message"}; ` : "";
      set("rerun", `${error}selected to run again${changeNote}`, "selected");
      continue;
    }
    if (scope && row.status !== "succeeded") {
      // A rerun can reuse only a recorded output.
      if (selectedClosure.has(id)) set("run", "", "downstream");
      else set("blocked", `${row.status} in run ${scope.sourceRunId}: no output to reuse`);
      continue;
    }
    switch (row.status) {
      case "succeeded": {
        const files = input.changedFiles.get(id);
        if (ownChange) changed.push(id);
        if (ownChange && opts.onChange === "rerun")
          set("rerun", "its definition changed since it ran", "definition-changed");
        else if (files && files.length > 0)
          set("rerun", `declared file ${files.join(", ")} is missing or changed`, "declared-file-changed");
        else if (differs && opts.onChange === "keep")
          keep(
            ownChange
              ? "its definition changed; output kept (onChange: keep)"
              : `downstream of changed "${upstreamRoot}"; output kept (onChange: keep)`,
          );
        else if (row.provenance?.kind === "reused")
          keep(`succeeded; output reused from run ${row.provenance.fromRunId}`);
        else if (scope) keep(`succeeded; output reused from run ${row.runId}`);
        else keep("succeeded; its recorded output is returned");
        break;
      }
      case "failed": {
        const budget = input.options.maxAttempts;
        const error = firstLine(row.error?.message) || "no message";
        if (budget !== undefined && !input.options.resetAttempts && row.attempts >= budget)
          set("blocked", `retry budget exhausted: ${row.attempts} of ${budget} attempts used`);
        else if (opts.retryFailed) set("retry", `failed: ${error}${changeNote}`, "failed");
        else set("blocked", `failed and retryFailed is off: ${error}`);
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

    function keep(why: string): void {
      const from = row!.provenance?.kind === "reused" ? row!.provenance.fromRunId! : row!.runId;
      plan.set(id, { stepId: id, status: row!.status, action: "keep", why, cause: null, fromRunId: from });
    }
  }

  // Everything downstream of a step that executes again executes again too (never reuse an output
  // whose upstream changes), and everything downstream of a blocked step is blocked.
  const executing = [...plan.values()].filter((p) => EXECUTES.has(p.action)).map((p) => p.stepId);
  for (const id of downstreamClosure(input.nodes, executing)) {
    const step = plan.get(id)!;
    if (step.action === "keep")
      plan.set(id, { ...step, action: "rerun", why: "", cause: "downstream", fromRunId: null });
  }
  for (const step of plan.values())
    if (step.cause === "downstream") step.why = downstreamWhy(step.stepId, nodeById, plan);
  const blocked = [...plan.values()].filter((p) => p.action === "blocked").map((p) => p.stepId);
  for (const id of downstreamClosure(input.nodes, blocked)) {
    const step = plan.get(id)!;
    if (step.action === "run" && step.status !== "new")
      plan.set(id, { ...step, action: "blocked", why: "waits for a blocked step upstream" });
  }

  refusal = refusalOf({ scope, blocked, unknown, changed, onChange: opts.onChange }) ?? refusal;

  const steps = input.order.map((id) => plan.get(id)!);
  const summary = Object.fromEntries(PLAN_ACTIONS.map((a) => [a, 0])) as Record<PlanAction, number>;
  for (const s of steps) summary[s.action]++;
  return { steps, changed, unknown, refusal, summary };
}

/** Why the plan cannot be carried out (a rerun without outputs to reuse, unknown or changed steps), or null. */
function refusalOf(p: {
  scope: RerunScope | undefined;
  blocked: readonly string[];
  unknown: readonly string[];
  changed: readonly string[];
  onChange: OnChange;
}): string | null {
  const { scope, blocked, unknown, changed } = p;
  if (scope && blocked.length > 0)
    return `Cannot rerun from ${quoted(scope.selected)}: ${blocked.length > 1 ? "steps" : "step"} ${quoted(blocked)} would be reused but ${blocked.length > 1 ? "have" : "has"} no recorded output in run "${scope.sourceRunId}" or its lineage. Rerun from ${blocked.length > 1 ? "them" : "it"} too, or restart the run.`;
  if (unknown.length > 0 && !scope)
    return `Unknown step in checkpoint: ${quoted(unknown)} ${unknown.length > 1 ? "are" : "is"} recorded in the run but not in the current definition. Restore the step or restart the run.`;
  if (changed.length > 0 && p.onChange === "error")
    return `The definition changed since ${scope ? `run "${scope.sourceRunId}" ran` : "the run started"} for ${quoted(changed)}. Choose onChange "rerun" to execute them and their downstream again, or "keep" to keep their outputs.`;
  return null;
}

/** "downstream of changed \"a\"" or "downstream of \"a\", which runs again", naming the step it all starts from. */
function downstreamWhy(
  id: string,
  nodes: ReadonlyMap<string, GraphNode>,
  plan: ReadonlyMap<string, PlanStep>,
): string {
  let current = id;
  for (;;) {
    const upstream = nodes.get(current)?.needs.find((n) => EXECUTES.has(plan.get(n)?.action ?? "keep"));
    if (!upstream) return "downstream of a step that runs again";
    const step = plan.get(upstream)!;
    if (step.cause === "downstream") {
      current = upstream;
      continue;
    }
    if (step.cause === "definition-changed") return `downstream of changed "${upstream}"`;
    if (step.cause === "selected") return `downstream of selected "${upstream}"`;
    return `downstream of "${upstream}", which runs again`;
  }
}

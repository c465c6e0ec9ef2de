import { firstLine } from "./errors.js";
import { downstreamClosure, type GraphNode } from "./graph.js";
import type { ItemStatus, Json, RerunReason, StepRecord, StepStatus } from "./types.js";

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

/** The options a workflow's `resume` block may set, and a resume request may override. */
export const STRATEGY_OPTIONS = ["retryFailed", "resetRunning", "maxAttempts", "onChange"] as const;
export type StrategyOption = (typeof STRATEGY_OPTIONS)[number];
/** One option as a resume applies it: its value and whether the request, the workflow or Cairn chose it. */
export interface StrategySource {
  readonly value: Json;
  readonly from: "request" | "workflow" | "default";
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
  /**
   * For a map step that executes again in place (retry, reset): its recorded items by status.
   * Succeeded items are kept; the others run. Absent for other steps.
   */
  items?: Record<ItemStatus, number>;
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
  /** For a resume: each strategy option as applied, and where it came from. */
  strategy?: Record<StrategyOption, StrategySource>;
  /** For a resume: the child runs (and the caller) resumed with the run (engine/linked-resume.ts). */
  linkedRuns?: LinkedRun[];
  /**
   * For a rerun's dry run: the stored version the source run executed and the one the new run would
   * (null: a workflow registered from a file or code).
   */
  versions?: { from: string | null; to: string | null };
}

/** A run resumed together with another: a child run it waits for, or the caller that waits for it. */
export interface LinkedRun {
  readonly runId: string;
  readonly relation: "child" | "caller";
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
  const known = new Set(input.order);
  const selected = new Set(input.rerun?.selected ?? []);
  const unknown = input.steps.map((s) => s.stepId).filter((id) => !known.has(id));
  const p: Planning = {
    input,
    opts: {
      retryFailed: input.options.retryFailed ?? true,
      resetRunning: input.options.resetRunning ?? true,
      onChange: input.options.onChange ?? "error",
    },
    rows: new Map(input.steps.map((s) => [s.stepId, s])),
    nodeById: new Map(input.nodes.map((n) => [n.id, n])),
    selected,
    selectedClosure: downstreamClosure(input.nodes, [...selected]),
    changedRoot: new Map(),
    changed: [],
  };
  const plan = new Map<string, PlanStep>();
  for (const id of input.order) plan.set(id, planStep(p, id));
  rerunDownstreamOfExecuting(p, plan);
  const blocked = [...plan.values()].filter((s) => s.action === "blocked").map((s) => s.stepId);
  blockDownstreamOfBlocked(p, plan, blocked);
  const { changed } = p;
  const refusal =
    refusalOf({ scope: input.rerun, blocked, unknown, changed, onChange: p.opts.onChange }) ??
    markDoneRefusal(p, known);
  const steps = input.order.map((id) => plan.get(id)!);
  const summary = Object.fromEntries(PLAN_ACTIONS.map((a) => [a, 0])) as Record<PlanAction, number>;
  for (const s of steps) summary[s.action]++;
  return { steps, changed, unknown, refusal, summary };
}

/** What a plan is computed from, and what it collects while each step is looked at in order. */
interface Planning {
  readonly input: PlanInput;
  readonly opts: {
    readonly retryFailed: boolean;
    readonly resetRunning: boolean;
    readonly onChange: OnChange;
  };
  readonly rows: ReadonlyMap<string, StepRecord>;
  readonly nodeById: ReadonlyMap<string, GraphNode>;
  readonly selected: ReadonlySet<string>;
  readonly selectedClosure: ReadonlySet<string>;
  /**
   * The changed step each step's fingerprint difference comes from (itself when its own definition
   * changed). Fingerprints include upstream fingerprints, so only a step none of whose upstream
   * steps changed is reported as changed; the others are "downstream of changed X".
   */
  readonly changedRoot: Map<string, string>;
  /** Succeeded steps whose own definition changed. */
  readonly changed: string[];
}

/** How a step's recorded fingerprint relates to the current definition. */
interface Change {
  readonly differs: boolean;
  /** Its own definition changed (not only an upstream step's). */
  readonly own: boolean;
  readonly upstreamRoot: string | undefined;
  /** Appended to a reason: " (its definition changed since)", " (downstream of changed …)" or "". */
  readonly note: string;
}

type Decision = Pick<PlanStep, "action" | "why" | "cause" | "fromRunId">;

const act = (action: PlanAction, why: string, cause: RerunReason | null = null): Decision => ({
  action,
  why,
  cause,
  fromRunId: null,
});

/** Keep a succeeded step's output: from the run that recorded it (the source, for a reused one). */
function keep(row: StepRecord, why: string): Decision {
  const from = row.provenance?.kind === "reused" ? row.provenance.fromRunId! : row.runId;
  return { action: "keep", why, cause: null, fromRunId: from };
}

function planStep(p: Planning, id: string): PlanStep {
  const row = p.rows.get(id);
  const decision = decide(p, id, row, traceChange(p, id, row));
  return { stepId: id, status: row?.status ?? "new", ...decision };
}

/** Compare the step's fingerprint with the definition's, and note where a difference comes from. */
function traceChange(p: Planning, id: string, row: StepRecord | undefined): Change {
  const upstreamRoot = (p.nodeById.get(id)?.needs ?? []).map((n) => p.changedRoot.get(n)).find(Boolean);
  const differs =
    row !== undefined &&
    row.fingerprint !== null &&
    row.provenance?.kind !== "manual" &&
    row.fingerprint !== p.input.fingerprints.get(id);
  if (upstreamRoot) p.changedRoot.set(id, upstreamRoot);
  else if (differs) p.changedRoot.set(id, id);
  const own = differs && !upstreamRoot;
  const note = own
    ? " (its definition changed since)"
    : upstreamRoot && differs
      ? ` (downstream of changed "${upstreamRoot}")`
      : "";
  return { differs, own, upstreamRoot, note };
}

/** The step's own action, before what happens upstream of it is taken into account. */
function decide(p: Planning, id: string, row: StepRecord | undefined, change: Change): Decision {
  const scope = p.input.rerun;
  if (id === p.input.options.markDone?.stepId)
    return act("mark-done", "marked done by hand with the given output");
  if (!row) return act("run", "new in the current definition");
  if (p.selected.has(id)) {
    const error = row.status === "failed" ? `failed: ${firstLine(row.error?.message) || "no message"}; ` : "";
    return act("rerun", `${error}selected to run again${change.note}`, "selected");
  }
  if (scope && row.status !== "succeeded") {
    // A rerun can reuse only a recorded output.
    if (p.selectedClosure.has(id)) return act("run", "", "downstream");
    return act("blocked", `${row.status} in run ${scope.sourceRunId}: no output to reuse`);
  }
  switch (row.status) {
    case "succeeded":
      return decideSucceeded(p, id, row, change);
    case "failed":
      return decideFailed(p, row, change);
    case "running":
      return p.opts.resetRunning
        ? act("reset", "was running when its run stopped; it runs again", "was-running")
        : act("blocked", "was running when its run stopped; marked failed (resetRunning is off)");
    case "cancelled":
      return act("run", "was cancelled; it runs again", "was-cancelled");
    default:
      // Ready with attempts behind it: it failed and was waiting for its retry when the run stopped.
      return row.status === "ready" && row.attempts > 0 && row.error !== null && row.wait === null
        ? act(
            "run",
            `waiting for its retry (attempt ${row.attempts} failed: ${firstLine(row.error?.message) || "no message"})`,
          )
        : act("run", "had not run yet");
  }
}

function decideSucceeded(p: Planning, id: string, row: StepRecord, change: Change): Decision {
  const files = p.input.changedFiles.get(id);
  if (change.own) p.changed.push(id);
  if (change.own && p.opts.onChange === "rerun")
    return act("rerun", "its definition changed since it ran", "definition-changed");
  if (files && files.length > 0)
    return act("rerun", `declared file ${files.join(", ")} is missing or changed`, "declared-file-changed");
  if (change.differs && p.opts.onChange === "keep")
    return keep(
      row,
      change.own
        ? "its definition changed; output kept (onChange: keep)"
        : `downstream of changed "${change.upstreamRoot}"; output kept (onChange: keep)`,
    );
  if (row.provenance?.kind === "reused")
    return keep(row, `succeeded; output reused from run ${row.provenance.fromRunId}`);
  if (p.input.rerun) return keep(row, `succeeded; output reused from run ${row.runId}`);
  return keep(row, "succeeded; its recorded output is returned");
}

function decideFailed(p: Planning, row: StepRecord, change: Change): Decision {
  const budget = p.input.options.maxAttempts;
  const error = firstLine(row.error?.message) || "no message";
  if (budget !== undefined && !p.input.options.resetAttempts && row.attempts >= budget)
    return act("blocked", `retry budget exhausted: ${row.attempts} of ${budget} attempts used`);
  if (p.opts.retryFailed) return act("retry", `failed: ${error}${change.note}`, "failed");
  return act("blocked", `failed and retryFailed is off: ${error}`);
}

/** Everything downstream of a step that executes again executes again too (never reuse an output whose upstream changes). */
function rerunDownstreamOfExecuting(p: Planning, plan: Map<string, PlanStep>): void {
  const executing = [...plan.values()].filter((s) => EXECUTES.has(s.action)).map((s) => s.stepId);
  for (const id of downstreamClosure(p.input.nodes, executing)) {
    const step = plan.get(id)!;
    if (step.action === "keep")
      plan.set(id, { ...step, action: "rerun", why: "", cause: "downstream", fromRunId: null });
  }
  for (const step of plan.values())
    if (step.cause === "downstream") step.why = downstreamWhy(step.stepId, p.nodeById, plan);
}

/** Everything downstream of a blocked step that would run is blocked too. */
function blockDownstreamOfBlocked(
  p: Planning,
  plan: Map<string, PlanStep>,
  blocked: readonly string[],
): void {
  for (const id of downstreamClosure(p.input.nodes, blocked)) {
    const step = plan.get(id)!;
    if (step.action === "run" && step.status !== "new")
      plan.set(id, { ...step, action: "blocked", why: "waits for a blocked step upstream" });
  }
}

/** Marking done is for a step that did not succeed. */
function markDoneRefusal(p: Planning, known: ReadonlySet<string>): string | null {
  const id = p.input.options.markDone?.stepId;
  if (id === undefined || !known.has(id) || p.rows.get(id)?.status !== "succeeded") return null;
  return `Step "${id}" already succeeded; only a step that did not succeed can be marked done.`;
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

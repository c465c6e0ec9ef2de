import { CairnError, type ErrorCode } from "../core/errors.js";
import { downstreamClosure } from "../core/graph.js";
import type { PlanAction, ResumeOptions } from "../core/resume-plan.js";
import { FINISHED_RUN_STATUSES, type RunRecord, type RunStatus } from "../core/types.js";
import type { CairnClient } from "./client.js";

/**
 * Bulk recovery: one action over many runs chosen by a filter or by ids, planned together (a dry run
 * returns one combined plan) and applied run by run, each with its own compare-and-set: a run that
 * is refused (its state changed, its plan cannot be carried out) does not stop the others. Bounded:
 * at most `limit` runs per call; repeating a call is safe (a resumed run is no longer interrupted, a
 * cancelled one no longer running, so the same filter selects the next ones).
 */

/** `rerun`: a new run of each, executing its failed steps and their downstream (rerun --failed). */
export const BULK_ACTIONS = ["resume", "restart", "rerun", "cancel"] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Most runs one call may act on. */
export const MAX_BULK_RUNS = 500;
/** Runs examined to fill one call, at most (a filter matching few of many runs stops there). */
const MAX_SCANNED = 10_000;

export interface BulkFilter {
  /** These runs (the other conditions still apply). */
  readonly ids?: readonly string[];
  /** As readers see it: `interrupted` includes running runs whose owner died. */
  readonly status?: RunStatus;
  readonly workflowId?: string;
  /** Created at or after / before these times (ms). */
  readonly createdAfter?: number;
  readonly createdBefore?: number;
  /** The run's error message contains this text (case-insensitive). */
  readonly errorContains?: string;
  readonly tenant?: string;
}

export interface BulkRequest {
  readonly action: BulkAction;
  readonly filter: BulkFilter;
  readonly dryRun?: boolean;
  /** At most this many runs (default 100, at most MAX_BULK_RUNS). */
  readonly limit?: number;
  /** For resume: the strategy, as for one run. */
  readonly resume?: ResumeOptions;
  readonly actor?: string;
  /** Let any worker execute resumed and restarted runs (default: this process drives them). */
  readonly detach?: boolean;
}

export interface BulkRunPlan {
  readonly runId: string;
  readonly workflowId: string;
  readonly status: RunStatus;
  /** Steps by what the action would do with them (resume: keep/retry/reset/…; restart: run). */
  readonly steps: Partial<Record<PlanAction, number>>;
  /** Why this run would be refused, or null. */
  readonly refusal: string | null;
}

export interface BulkRunResult {
  readonly runId: string;
  readonly ok: boolean;
  /** The run's status after the action (resume, cancel), or the new run (restart). */
  readonly status?: RunStatus;
  readonly newRunId?: string;
  readonly error?: { readonly code: ErrorCode | "INTERNAL"; readonly message: string };
}

export interface BulkReport {
  readonly action: BulkAction;
  readonly dryRun: boolean;
  readonly runs: BulkRunPlan[];
  readonly totals: {
    readonly runs: number;
    readonly refused: number;
    /** Steps that would execute (retry, reset, run, rerun) and steps kept, over the runs not refused. */
    readonly execute: number;
    readonly keep: number;
  };
  /** Per run, when executed (absent in a dry run). */
  readonly results?: BulkRunResult[];
  /** More runs match than `limit`: call again. */
  readonly more: boolean;
}

const EXECUTES: readonly PlanAction[] = ["retry", "reset", "run", "rerun", "mark-done"];

/** Plan (and unless `dryRun`, apply) one action over the runs the filter selects. */
export async function bulkAction(cairn: CairnClient, req: BulkRequest): Promise<BulkReport> {
  const limit = req.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_BULK_RUNS)
    throw new CairnError("INVALID_INPUT", `limit must be a whole number from 1 to ${MAX_BULK_RUNS}.`);
  if (req.resume?.markDone)
    throw new CairnError(
      "INVALID_INPUT",
      "markDone names one step of one run; it cannot be applied in bulk.",
    );
  const { runs, more } = await selectRuns(cairn, req.filter, limit);
  const plans: BulkRunPlan[] = [];
  for (const run of runs) plans.push(await planOne(cairn, req, run));
  const live = plans.filter((p) => p.refusal === null);
  const sum = (actions: readonly PlanAction[]) =>
    live.reduce((n, p) => n + actions.reduce((m, a) => m + (p.steps[a] ?? 0), 0), 0);
  const totals = {
    runs: plans.length,
    refused: plans.length - live.length,
    execute: sum(EXECUTES),
    keep: sum(["keep"]),
  };
  if (req.dryRun) return { action: req.action, dryRun: true, runs: plans, totals, more };
  const results: BulkRunResult[] = [];
  for (const plan of plans) results.push(await applyOne(cairn, req, plan));
  return { action: req.action, dryRun: false, runs: plans, totals, results, more };
}

async function selectRuns(
  cairn: CairnClient,
  filter: BulkFilter,
  limit: number,
): Promise<{ runs: RunRecord[]; more: boolean }> {
  const matches = (run: RunRecord) =>
    (filter.tenant === undefined || run.tenant === filter.tenant) &&
    (filter.workflowId === undefined || run.workflowId === filter.workflowId) &&
    (filter.status === undefined || run.status === filter.status) &&
    (filter.createdAfter === undefined || run.createdAt >= filter.createdAfter) &&
    (filter.createdBefore === undefined || run.createdAt < filter.createdBefore) &&
    (filter.errorContains === undefined ||
      (run.error?.message ?? "").toLowerCase().includes(filter.errorContains.toLowerCase()));
  /** A running run whose owner died reads as interrupted, as everywhere else. */
  const seen = async (run: RunRecord) =>
    run.status === "running" ? ((await cairn.get(run.id))?.run ?? run) : run;
  const found: RunRecord[] = [];
  if (filter.ids) {
    for (const id of [...new Set(filter.ids)]) {
      const run = await cairn.run(id);
      if (run && matches(await seen(run))) found.push(await seen(run));
    }
  } else {
    // Oldest first is what an operator expects to recover first; pages come newest first.
    let before: { createdAt: number; id: string } | undefined;
    let scanned = 0;
    const stored = filter.status === "interrupted" ? undefined : filter.status;
    while (scanned < MAX_SCANNED) {
      const page = await cairn.list({
        ...(filter.tenant !== undefined ? { tenant: filter.tenant } : {}),
        ...(filter.workflowId !== undefined ? { workflowId: filter.workflowId } : {}),
        ...(stored ? { statuses: [stored] } : {}),
        ...(filter.createdAfter !== undefined ? { createdAfter: filter.createdAfter } : {}),
        ...(filter.createdBefore !== undefined ? { createdBefore: filter.createdBefore } : {}),
        ...(before ? { before } : {}),
        limit: 500,
      });
      for (const run of page) {
        const view = await seen(run);
        if (matches(view)) found.push(view);
      }
      scanned += page.length;
      const last = page.at(-1);
      if (page.length < 500 || !last) break;
      before = { createdAt: last.createdAt, id: last.id };
    }
  }
  found.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  return { runs: found.slice(0, limit), more: found.length > limit };
}

async function planOne(cairn: CairnClient, req: BulkRequest, run: RunRecord): Promise<BulkRunPlan> {
  const base = { runId: run.id, workflowId: run.workflowId, status: run.status };
  try {
    if (req.action !== "cancel" && run.secretNames.length > 0)
      return {
        ...base,
        steps: {},
        refusal: `Run "${run.id}" needs the secret${run.secretNames.length > 1 ? "s" : ""} ${run.secretNames.join(", ")}, which a bulk action does not carry; ${req.action} it on its own.`,
      };
    if (req.action === "resume") {
      // Secrets are brought by whoever executes; the plan needs only their names.
      const names = Object.fromEntries(run.secretNames.map((n) => [n, ""]));
      const plan = await cairn.resumePlan(run.id, { ...req.resume, secrets: names });
      const steps = Object.fromEntries(Object.entries(plan.summary).filter(([, n]) => n > 0));
      return { ...base, steps, refusal: plan.refusal };
    }
    if (req.action === "rerun" || req.action === "restart") {
      const earlier = await earlierRemake(cairn, run, req.action);
      if (earlier) return { ...base, steps: {}, refusal: earlier };
    }
    if (req.action === "rerun") return { ...base, ...(await planRerunFailed(cairn, run)) };
    if (req.action === "restart") {
      if (!FINISHED_RUN_STATUSES.includes(run.status))
        return {
          ...base,
          steps: {},
          refusal: `Run "${run.id}" is ${run.status}; restart needs a finished run.`,
        };
      const steps = await cairn.steps(run.id, undefined, { outputs: false });
      return { ...base, steps: { run: steps.length }, refusal: null };
    }
    const cancellable: readonly RunStatus[] = ["running", "paused", "interrupted"];
    return cancellable.includes(run.status)
      ? { ...base, steps: {}, refusal: null }
      : { ...base, steps: {}, refusal: `Cannot cancel run "${run.id}": it is ${run.status}.` };
  } catch (error) {
    return { ...base, steps: {}, refusal: error instanceof Error ? error.message : String(error) };
  }
}

async function applyOne(cairn: CairnClient, req: BulkRequest, plan: BulkRunPlan): Promise<BulkRunResult> {
  if (plan.refusal !== null)
    return { runId: plan.runId, ok: false, error: { code: "UNPROCESSABLE", message: plan.refusal } };
  const who = req.actor !== undefined ? { actor: req.actor } : {};
  const detach = req.detach === true;
  try {
    if (req.action === "resume") {
      const handle = await cairn.resume(plan.runId, { ...req.resume, ...who, detach });
      return { runId: plan.runId, ok: true, status: handle.run.status };
    }
    if (req.action === "restart") {
      const handle = await cairn.restart(plan.runId, { ...who, detach });
      return { runId: plan.runId, ok: true, newRunId: handle.id, status: handle.run.status };
    }
    if (req.action === "rerun") {
      const handle = await cairn.rerun(plan.runId, { failed: true }, { ...who, detach });
      return { runId: plan.runId, ok: true, newRunId: handle.id, status: handle.run.status };
    }
    const run = await cairn.cancel(plan.runId, who);
    return { runId: plan.runId, ok: true, status: run.status };
  } catch (error) {
    // The run's own compare-and-set refused it (another resume won, it changed meanwhile…).
    return {
      runId: plan.runId,
      ok: false,
      error:
        error instanceof CairnError
          ? { code: error.code, message: error.message }
          : { code: "INTERNAL", message: "Internal error; see the server's log." },
    };
  }
}

/**
 * A bulk restart or rerun makes a new run from each source run and leaves the source as it was; so
 * that repeating one is harmless, a run that this action already remade (the new run did not fail
 * and was not cancelled) is refused with the run that did.
 */
async function earlierRemake(
  cairn: CairnClient,
  run: RunRecord,
  action: "restart" | "rerun",
): Promise<string | null> {
  const made = (await cairn.childRuns(run.id)).find(
    (child) => child.origin === action && child.status !== "failed" && child.status !== "cancelled",
  );
  if (!made) return null;
  const verb = action === "restart" ? "restarted" : "rerun";
  return `Run "${run.id}" was already ${verb} as "${made.id}" (${made.status}); ${action} it on its own to make another.`;
}

/** What `rerun --failed` would do: its failed steps and their downstream run, the rest is reused. */
async function planRerunFailed(
  cairn: CairnClient,
  run: RunRecord,
): Promise<{ steps: Partial<Record<PlanAction, number>>; refusal: string | null }> {
  if (!FINISHED_RUN_STATUSES.includes(run.status))
    return { steps: {}, refusal: `Run "${run.id}" is ${run.status}; rerun needs a finished run.` };
  const steps = await cairn.steps(run.id, undefined, { outputs: false });
  const failed = steps.filter((s) => s.status === "failed").map((s) => s.stepId);
  if (failed.length === 0) return { steps: {}, refusal: `Run "${run.id}" has no failed steps to rerun.` };
  const execute = downstreamClosure(
    steps.map((s) => ({ id: s.stepId, needs: s.needs })),
    failed,
  );
  return { steps: { rerun: execute.size, keep: steps.length - execute.size }, refusal: null };
}

import fs from "node:fs";
import { CairnError } from "../core/errors.js";
import { computeResumePlan, type OnChange, type ResumePlan } from "../core/resume-plan.js";
import { type RunAction, refusal } from "../core/run-actions.js";
import type { Provenance, RunRecord, StepRecord } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { insertRun, type NewRunParams } from "./create-run.js";
import { declaredFilesChanged } from "./declared-files.js";
import { addItemCounts, addKeyMatching, reuseItems } from "./map-plan.js";
import type { LoadedWorkflow } from "./registry.js";
import type { AttemptSpans } from "./tracing.js";

/**
 * What a rerun executes: the failed steps, or the chosen steps (and their downstream). With `items`,
 * `from` names one map step and only those of its items run again (with its failed ones); its other
 * succeeded items are reused.
 */
export type RerunSelection = { from: readonly string[]; items?: readonly string[] } | { failed: true };

/** Whether a rerun starts its selected map steps from the source's succeeded items. */
function reusesItems(selection: RerunSelection): boolean {
  return "failed" in selection || selection.items !== undefined;
}

export interface RerunOptions {
  /** Steps whose definition changed since the source run: refuse (default), execute again, or keep. */
  readonly onChange?: OnChange;
}

export interface LineageRequest {
  readonly source: string;
  readonly newRunId: string;
  readonly workflow: LoadedWorkflow;
  readonly workdir: string;
  readonly driverId: string | null;
  readonly trigger: string;
  readonly actor: string | null;
  /** Where the new run's start span begins, when tracing is on. */
  readonly spans?: AttemptSpans | undefined;
}

async function finishedSource(tx: StoreTx, runId: string, action: RunAction): Promise<RunRecord> {
  const run = await tx.getRun(runId);
  if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  const refused = refusal(action, run.id, run.status);
  if (refused) throw new CairnError("CONFLICT", refused, { details: { status: run.status } });
  return run;
}

function params(req: LineageRequest, source: RunRecord, origin: "restart" | "rerun"): NewRunParams {
  return {
    runId: req.newRunId,
    workflow: req.workflow,
    input: source.input,
    tenant: source.tenant,
    workdir: req.workdir,
    origin,
    parent: source,
    driverId: req.driverId,
    trigger: req.trigger,
    actor: req.actor,
    spans: req.spans,
  };
}

/** A new run of the same workflow (current definition) with the same input, from scratch. */
export async function restartRun(tx: StoreTx, req: LineageRequest): Promise<RunRecord> {
  const source = await finishedSource(tx, req.source, "restart");
  return (await insertRun(tx, params(req, source, "restart"))).run;
}

/** Which steps a rerun selects: the failed ones, or the chosen ones (checked against the workflow). */
function selectedSteps(
  source: RunRecord,
  steps: readonly StepRecord[],
  workflow: LoadedWorkflow,
  selection: RerunSelection,
): string[] {
  if ("failed" in selection) {
    const failed = workflow.order.filter((id) => steps.find((s) => s.stepId === id)?.status === "failed");
    if (failed.length === 0)
      throw new CairnError(
        "UNPROCESSABLE",
        `Run "${source.id}" has no failed steps to rerun. Use restart to run it again from scratch.`,
      );
    return failed;
  }
  const unknown = selection.from.filter((id) => !workflow.steps.has(id));
  if (unknown.length > 0)
    throw new CairnError(
      "INVALID_INPUT",
      `Unknown step${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => `"${s}"`).join(", ")} in workflow "${workflow.definition.id}" (its steps: ${workflow.definition.steps.map((s) => s.id).join(", ")}).`,
      { details: { unknown } },
    );
  if (selection.from.length === 0)
    throw new CairnError("INVALID_INPUT", "Choose at least one step to rerun from.");
  if (selection.items !== undefined) {
    const [step, ...more] = selection.from;
    if (more.length > 0 || !workflow.steps.get(step!)?.map)
      throw new CairnError("INVALID_INPUT", "Choosing items needs exactly one map step to rerun from.");
    if (selection.items.length === 0)
      throw new CairnError("INVALID_INPUT", "Choose at least one item to rerun.");
  }
  return workflow.order.filter((id) => selection.from.includes(id));
}

function chosenItems(selection: RerunSelection): readonly string[] {
  return "failed" in selection ? [] : (selection.items ?? []);
}

/** Refuse item keys the source's map step never recorded, naming a few it did. */
async function checkItems(tx: StoreTx, source: RunRecord, selection: RerunSelection): Promise<void> {
  if ("failed" in selection || selection.items === undefined) return;
  const stepId = selection.from[0]!;
  const recorded = await tx.getItems(source.id, stepId);
  const keys = new Set(recorded.map((i) => i.key));
  const unknown = selection.items.filter((key) => !keys.has(key));
  if (unknown.length === 0) return;
  const some = recorded.slice(0, 5).map((i) => `"${i.key}"`);
  throw new CairnError(
    "INVALID_INPUT",
    `Step "${stepId}" of run "${source.id}" has no recorded item${unknown.length > 1 ? "s" : ""} ${unknown
      .slice(0, 5)
      .map((k) => `"${k}"`)
      .join(
        ", ",
      )}${some.length ? ` (its items: ${some.join(", ")}${recorded.length > 5 ? ", …" : ""})` : " (it recorded no items)"}.`,
    { details: { unknown } },
  );
}

/**
 * What a rerun would execute and reuse, and why (the resume plan's rule with the rerun's selection).
 * Throws NOT_FOUND, CONFLICT (the source is not finished) or INVALID_INPUT / UNPROCESSABLE (the
 * selection names no step); a plan the rerun cannot carry out carries its `refusal`.
 */
export async function planRerun(
  tx: StoreTx,
  sourceId: string,
  workflow: LoadedWorkflow,
  selection: RerunSelection,
  options: RerunOptions = {},
): Promise<{ source: RunRecord; steps: StepRecord[]; plan: ResumePlan }> {
  const source = await finishedSource(tx, sourceId, "rerun");
  const steps = await tx.getSteps(source.id);
  const selected = selectedSteps(source, steps, workflow, selection);
  await checkItems(tx, source, selection);
  const plan = computeResumePlan({
    nodes: workflow.definition.steps,
    order: workflow.order,
    fingerprints: workflow.fingerprints,
    steps,
    options: options.onChange ? { onChange: options.onChange } : {},
    changedFiles: declaredFilesChanged(source.workdir, steps, workflow),
    rerun: { sourceRunId: source.id, selected },
  });
  if (reusesItems(selection)) await addItemCounts(tx, source.id, plan, workflow, chosenItems(selection));
  await addKeyMatching(tx, source.id, plan, workflow);
  return { source, steps, plan };
}

/**
 * A new run that executes the selected steps and everything downstream of them (and, with
 * onChange "rerun", the changed steps and theirs), reusing every other step's recorded output and
 * variables from the source run (which may itself have reused them).
 */
export async function rerunRun(
  tx: StoreTx,
  req: LineageRequest & RerunOptions & { selection: RerunSelection },
): Promise<{ run: RunRecord; plan: ResumePlan }> {
  const { source, steps, plan } = await planRerun(tx, req.source, req.workflow, req.selection, req);
  if (plan.refusal)
    throw new CairnError("UNPROCESSABLE", plan.refusal, {
      details: {
        changed: plan.changed,
        missing: plan.steps.filter((s) => s.action === "blocked").map((s) => s.stepId),
      },
    });
  const rows = new Map(steps.map((s) => [s.stepId, s]));
  const reused = new Map<string, StepRecord>();
  const reasons = new Map<string, Provenance["reason"]>();
  for (const step of plan.steps) {
    if (step.action === "keep") reused.set(step.stepId, rows.get(step.stepId)!);
    else if (step.cause) reasons.set(step.stepId, step.cause);
  }
  const selected = plan.steps.filter((s) => s.cause === "selected").map((s) => s.stepId);
  const { run } = await insertRun(tx, {
    ...params(req, source, "rerun"),
    reused,
    reasons,
    note: `from ${selected.join(", ")}`,
  });
  // `rerun --failed` reuses a failed map's succeeded items, a rerun of chosen items the other items;
  // a rerun from a map runs every item; a map downstream of the selection matches items by key.
  await reuseItems(tx, plan, req.workflow, {
    sourceRunId: source.id,
    runId: run.id,
    except: chosenItems(req.selection),
    fromItems: reusesItems(req.selection),
  });
  return { run, plan };
}

/** A rerun's working directory starts as a copy of its source's, so reused steps' files are there. */
export function copyWorkdir(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true, force: true });
}

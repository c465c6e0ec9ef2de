import fs from "node:fs";
import { CairnError } from "../core/errors.js";
import { downstreamClosure } from "../core/graph.js";
import type { Provenance, RunRecord, StepRecord } from "../core/types.js";
import { FINISHED_RUN_STATUSES } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { insertRun, type NewRunParams } from "./create-run.js";
import type { LoadedWorkflow } from "./registry.js";

export type RerunSelection = { from: readonly string[] } | { failed: true };

export interface LineageRequest {
  readonly source: string;
  readonly newRunId: string;
  readonly workflow: LoadedWorkflow;
  readonly workdir: string;
  readonly driverId: string | null;
  readonly trigger: string;
  readonly actor: string | null;
}

async function finishedSource(tx: StoreTx, runId: string, action: string): Promise<RunRecord> {
  const run = await tx.getRun(runId);
  if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  if (!FINISHED_RUN_STATUSES.includes(run.status))
    throw new CairnError(
      "CONFLICT",
      `Run "${run.id}" is ${run.status}; ${action} needs a finished run (succeeded, failed, cancelled or interrupted). ${run.status === "paused" ? "Resume it, or cancel it first." : "Wait for it, or cancel it first."}`,
      { details: { status: run.status } },
    );
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
  };
}

/** A new run of the same workflow (current definition) with the same input, from scratch. */
export async function restartRun(tx: StoreTx, req: LineageRequest): Promise<RunRecord> {
  const source = await finishedSource(tx, req.source, "restart");
  return (await insertRun(tx, params(req, source, "restart"))).run;
}

/** Which steps a rerun executes and which it reuses; throws when the request cannot be honoured. */
export async function planRerun(
  tx: StoreTx,
  sourceId: string,
  workflow: LoadedWorkflow,
  selection: RerunSelection,
): Promise<{ source: RunRecord; execute: Set<string>; reused: Map<string, StepRecord>; selected: string[] }> {
  const source = await finishedSource(tx, sourceId, "rerun");
  const steps = await tx.getSteps(source.id);
  let selected: string[];
  if ("failed" in selection) {
    selected = workflow.order.filter((id) => steps.find((s) => s.stepId === id)?.status === "failed");
    if (selected.length === 0)
      throw new CairnError(
        "UNPROCESSABLE",
        `Run "${source.id}" has no failed steps to rerun. Use restart to run it again from scratch.`,
      );
  } else {
    const unknown = selection.from.filter((id) => !workflow.steps.has(id));
    if (unknown.length > 0)
      throw new CairnError(
        "INVALID_INPUT",
        `Unknown step${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => `"${s}"`).join(", ")} in workflow "${workflow.definition.id}" (its steps: ${workflow.definition.steps.map((s) => s.id).join(", ")}).`,
        { details: { unknown } },
      );
    if (selection.from.length === 0)
      throw new CairnError("INVALID_INPUT", "Choose at least one step to rerun from.");
    selected = [...new Set(selection.from)];
  }
  const execute = downstreamClosure(workflow.definition.steps, selected);
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  const reused = new Map<string, StepRecord>();
  const missing: string[] = [];
  for (const id of workflow.order) {
    if (execute.has(id)) continue;
    const row = byId.get(id);
    if (row?.status === "succeeded") reused.set(id, row);
    else missing.push(id);
  }
  if (missing.length > 0)
    throw new CairnError(
      "UNPROCESSABLE",
      `Cannot rerun from ${selected.map((s) => `"${s}"`).join(", ")}: step${missing.length > 1 ? "s" : ""} ${missing.map((s) => `"${s}"`).join(", ")} would be reused but ${missing.length > 1 ? "have" : "has"} no recorded output in run "${source.id}" or its lineage. Rerun from ${missing.length > 1 ? "them" : "it"} too, or restart the run.`,
      { details: { missing } },
    );
  return { source, execute, reused, selected };
}

/**
 * A new run that executes the selected steps and everything downstream of them, reusing every other
 * step's recorded output and variables from the source run (which may itself have reused them).
 */
export async function rerunRun(
  tx: StoreTx,
  req: LineageRequest & { selection: RerunSelection },
): Promise<RunRecord> {
  const { source, execute, reused, selected } = await planRerun(tx, req.source, req.workflow, req.selection);
  const reasons = new Map<string, Provenance["reason"]>();
  for (const id of execute) reasons.set(id, selected.includes(id) ? "selected" : "downstream");
  return (
    await insertRun(tx, {
      ...params(req, source, "rerun"),
      reused,
      reasons,
      note: `from ${selected.join(", ")}`,
    })
  ).run;
}

/** A rerun's working directory starts as a copy of its source's, so reused steps' files are there. */
export function copyWorkdir(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true, force: true });
}

import { toDefinition, type WorkflowLike } from "../core/builder.js";
import { CairnError } from "../core/errors.js";
import type { ClientState } from "./client-state.js";
import { type LoadedWorkflow, loadWorkflow, toWorkflowRecord } from "./registry.js";
import { definitionFile } from "./run-source.js";
import { checkScheduleInputs, syncWorkflowSchedules } from "./schedules.js";

/** Validate a workflow, record it in the store, and let an attached worker execute its runs. */
export async function registerWorkflow(state: ClientState, workflow: WorkflowLike): Promise<LoadedWorkflow> {
  const loaded = loadWorkflow(toDefinition(workflow));
  await checkScheduleInputs(loaded.definition);
  state.workflows.set(loaded.definition.id, loaded);
  const record = await toWorkflowRecord(loaded, state.options.clock());
  await state.store.transaction(async (tx) => {
    await tx.upsertWorkflow(record);
    await syncWorkflowSchedules(tx, loaded.definition, state.options.tenant);
  });
  await state.worker?.workflowRegistered();
  return loaded;
}

/** The workflow as given, registered unless this very definition already is. */
export async function ensureRegistered(state: ClientState, workflow: WorkflowLike): Promise<LoadedWorkflow> {
  const definition = toDefinition(workflow);
  const known = state.workflows.get(definition.id);
  if (known && known.definition === definition) return known;
  return registerWorkflow(state, definition);
}

/**
 * A workflow by id. With a `version` ("latest" or a version hash): that version the tenant stored.
 * Without: registered here, else loaded from the file it was last loaded from, else (no process
 * ever registered this id) the tenant's newest stored version.
 */
export async function workflowById(
  state: ClientState,
  id: string,
  stored: { tenant: string; version?: string | undefined },
): Promise<LoadedWorkflow> {
  if (stored.version !== undefined)
    return state.definitions.stored(state.store, stored.tenant, id, stored.version);
  const known = state.workflows.get(id);
  if (known) return known;
  const record = await state.store.getWorkflow(id);
  if (!record) {
    const newest = await state.store.getWorkflowVersion(stored.tenant, id);
    if (newest) return state.definitions.fromRecord(newest);
  }
  return registerWorkflow(state, await load(state, definitionFile(id, null, record), id));
}

/**
 * The definition a new run made from a run (restart, rerun) uses: the named stored version; for a run
 * of a stored workflow, its tenant's newest version; otherwise the run's workflow as resume loads it.
 */
export async function workflowForNewRun(
  state: ClientState,
  runId: string,
  version: string | undefined,
): Promise<LoadedWorkflow> {
  const run = await state.store.getRun(runId);
  if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  if (version === undefined && run.workflowVersion === null) return workflowOfRun(state, runId);
  return state.definitions.stored(state.store, run.tenant, run.workflowId, version);
}

/**
 * The definition a run continues with (resume): its own stored version (a newer one stored since does
 * not change a run's graph under it); for a registered workflow, registered here or loaded again from
 * the run's own file.
 */
export async function workflowOfRun(state: ClientState, runId: string): Promise<LoadedWorkflow> {
  const run = await state.store.getRun(runId);
  if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  if (run.workflowVersion !== null)
    return state.definitions.stored(state.store, run.tenant, run.workflowId, run.workflowVersion);
  const known = state.workflows.get(run.workflowId);
  if (known) return known;
  const record = await state.store.getWorkflow(run.workflowId);
  const file = definitionFile(run.workflowId, run, record);
  return registerWorkflow(state, await load(state, file, run.workflowId));
}

function load(state: ClientState, file: string, workflowId: string): Promise<WorkflowLike> {
  if (!state.loadWorkflow)
    throw new CairnError(
      "NOT_FOUND",
      `Workflow "${workflowId}" is not registered in this process (register it, or open Cairn with a loadWorkflow option to load it from ${file}).`,
    );
  return state.loadWorkflow(file, workflowId);
}

import { CairnError } from "../core/errors.js";
import type { WorkflowRecord, WorkflowVersionRecord } from "../core/types.js";
import type { DefinitionFormat } from "../loader/stored-workflow.js";
import type { ClientState } from "./client-state.js";
import { toWorkflowRecord } from "./registry.js";

export interface StoreWorkflowOptions {
  /** How the text is written: "yaml" or "json". */
  readonly format: DefinitionFormat;
  /** The tenant that owns the stored version (the API passes the token's). Default: the client's. */
  readonly tenant?: string;
  /** Accept `run:` shell steps and `uses:` of a file (`cairn serve --allow-api-shell`). Default false. */
  readonly allowCode?: boolean;
  /** What problem locations name (the file pushed); default `body.yaml` / `body.json`. */
  readonly sourceName?: string;
}

export interface StoredWorkflowVersion {
  readonly id: string;
  readonly version: string;
  /** False when the tenant already had this version (the same definition, whatever its formatting). */
  readonly created: boolean;
}

/**
 * Validate a workflow received as data and store it as a version of `id` for the tenant. Its
 * actions must be registered in this process; unless `allowCode`, it may not run shell commands or
 * functions from files.
 */
export async function storeWorkflowVersion(
  state: ClientState,
  id: string,
  text: string,
  options: StoreWorkflowOptions,
): Promise<StoredWorkflowVersion> {
  // Loaded on demand: the YAML parser is not needed by a client that never stores a definition.
  const { defineStoredWorkflow } = await import("../loader/stored-workflow.js");
  const stored = await defineStoredWorkflow(text, {
    workflowId: id,
    format: options.format,
    actions: state.actions,
    allowCode: options.allowCode ?? false,
    ...(options.sourceName ? { sourceName: options.sourceName } : {}),
  });
  const record: WorkflowVersionRecord = {
    tenant: options.tenant ?? state.options.tenant,
    workflowId: id,
    version: stored.version,
    definition: stored.canonical,
    createdAt: state.options.clock(),
  };
  const created = await state.store.transaction((tx) => tx.putWorkflowVersion(record));
  return { id, version: stored.version, created };
}

/** A tenant's stored versions of a workflow, newest first; NOT_FOUND when it has none. */
export async function listStoredVersions(
  state: ClientState,
  id: string,
  tenant: string = state.options.tenant,
): Promise<Array<{ version: string; createdAt: number }>> {
  const versions = await state.store.listWorkflowVersions(tenant, id);
  if (versions.length === 0) throw new CairnError("NOT_FOUND", `Workflow "${id}" has no stored versions.`);
  return versions.map((v) => ({ version: v.version, createdAt: v.createdAt }));
}

/** A workflow stored as data, described by its newest version. */
export interface StoredWorkflowSummary {
  /** The newest version's graph, as a registered workflow's record (`updatedAt`: when it was stored). */
  readonly workflow: WorkflowRecord;
  readonly version: string;
  readonly versionCount: number;
}

/**
 * Every workflow the tenant stored as data, by id, each described by its newest version. One this
 * process cannot load (it calls an action not registered here) is left out of the list and logged
 * as a warning, so one such workflow does not hide all the others.
 */
export async function listStoredWorkflows(
  state: ClientState,
  tenant: string = state.options.tenant,
): Promise<StoredWorkflowSummary[]> {
  const stored = await state.store.listStoredWorkflows(tenant);
  const summaries = await Promise.allSettled(
    stored.map(({ newest, versionCount }) => summaryOf(state, newest, versionCount)),
  );
  return summaries.flatMap((summary, i) => {
    if (summary.status === "fulfilled") return [summary.value];
    const { workflowId, version } = stored[i]!.newest;
    state.logger.warn(
      { workflowId, version, tenant, err: summary.reason },
      "a stored workflow cannot be loaded in this process; left out of the workflows list",
    );
    return [];
  });
}

/** One workflow the tenant stored as data, described by its newest version; undefined when it has none. */
export async function storedWorkflow(
  state: ClientState,
  id: string,
  tenant: string = state.options.tenant,
): Promise<StoredWorkflowSummary | undefined> {
  const versions = await state.store.listWorkflowVersions(tenant, id);
  return versions[0] && summaryOf(state, versions[0], versions.length);
}

async function summaryOf(
  state: ClientState,
  newest: WorkflowVersionRecord,
  versionCount: number,
): Promise<StoredWorkflowSummary> {
  const loaded = await state.definitions.fromRecord(newest);
  const workflow = await toWorkflowRecord(loaded, newest.createdAt);
  return { workflow, version: newest.version, versionCount };
}

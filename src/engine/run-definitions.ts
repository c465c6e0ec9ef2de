import type { Action } from "../core/action.js";
import { CairnError } from "../core/errors.js";
import type { RunRecord, WorkflowVersionRecord } from "../core/types.js";
import { type LoadedWorkflow, loadWorkflow } from "./registry.js";

/** Where stored versions are read: the store, or a transaction (inside one, SQLite has no other reader). */
export interface VersionReader {
  getWorkflowVersion(
    tenant: string,
    workflowId: string,
    version?: string,
  ): Promise<WorkflowVersionRecord | undefined>;
}

/** The words that name a tenant's newest stored version instead of a version hash. */
export const LATEST_VERSION = "latest";

/**
 * The definition each run executes: a registered workflow (by id, from this process), or the stored
 * version the run records (`run.workflowVersion`), read from the store and parsed once per process
 * (cached by `id@version`: a version is a hash of its content, so it never changes). A worker thus
 * executes a workflow stored as data with no file on its machine; the actions it calls must be
 * registered in this process.
 */
export class RunDefinitions {
  readonly #parsed = new Map<string, LoadedWorkflow>();
  readonly #parsing = new Map<string, Promise<LoadedWorkflow>>();

  constructor(
    /** Workflows registered in this process, by id (shared with the client: registering adds here). */
    readonly registered: ReadonlyMap<string, LoadedWorkflow>,
    private readonly actions: readonly Action<never>[],
  ) {}

  /** The run's definition when it is at hand without reading the store (registered, or parsed before). */
  known(run: Pick<RunRecord, "workflowId" | "workflowVersion">): LoadedWorkflow | undefined {
    return run.workflowVersion === null
      ? this.registered.get(run.workflowId)
      : this.#parsed.get(`${run.workflowId}@${run.workflowVersion}`);
  }

  /**
   * The run's definition: registered here (undefined when it is not), or its own stored version.
   * Throws NOT_FOUND when the version is gone, INVALID_DEFINITION when it calls an action this
   * process has not registered (the sentence names it).
   */
  async ofRun(reader: VersionReader, run: RunRecord): Promise<LoadedWorkflow | undefined> {
    if (run.workflowVersion === null) return this.registered.get(run.workflowId);
    return this.stored(reader, run.tenant, run.workflowId, run.workflowVersion);
  }

  /** A tenant's stored version of a workflow ("latest" or omitted: its newest), parsed. */
  async stored(
    reader: VersionReader,
    tenant: string,
    workflowId: string,
    version: string = LATEST_VERSION,
  ): Promise<LoadedWorkflow> {
    const latest = version === LATEST_VERSION;
    const known = latest ? undefined : this.#parsed.get(`${workflowId}@${version}`);
    if (known) return known;
    const record = await reader.getWorkflowVersion(tenant, workflowId, latest ? undefined : version);
    if (!record)
      throw new CairnError(
        "NOT_FOUND",
        latest
          ? `Workflow "${workflowId}" has no stored versions.`
          : `Workflow "${workflowId}" has no stored version "${version}" (cairn workflows versions ${workflowId} lists them).`,
      );
    return this.fromRecord(record);
  }

  /** A stored version as read, parsed (once per process). */
  fromRecord(record: WorkflowVersionRecord): Promise<LoadedWorkflow> {
    const key = `${record.workflowId}@${record.version}`;
    const parsed = this.#parsed.get(key);
    if (parsed) return Promise.resolve(parsed);
    let parsing = this.#parsing.get(key);
    if (!parsing) {
      parsing = parseVersion(record, this.actions).then(
        (loaded) => {
          this.#parsed.set(key, loaded);
          this.#parsing.delete(key);
          return loaded;
        },
        (error: unknown) => {
          this.#parsing.delete(key);
          throw error;
        },
      );
      this.#parsing.set(key, parsing);
    }
    return parsing;
  }
}

async function parseVersion(
  record: WorkflowVersionRecord,
  actions: readonly Action<never>[],
): Promise<LoadedWorkflow> {
  // Loaded on demand: the YAML front door is not needed by a process that runs no stored workflow.
  const { defineStoredWorkflow } = await import("../loader/stored-workflow.js");
  const where = `${record.workflowId}@${record.version}`;
  try {
    const { definition } = await defineStoredWorkflow(record.definition, {
      workflowId: record.workflowId,
      format: "json",
      actions,
      // It was checked when it was stored: a version stored with --allow-api-shell keeps its shell steps.
      allowCode: true,
      sourceName: where,
    });
    return loadWorkflow(definition, record.version);
  } catch (error) {
    if (!(error instanceof CairnError)) throw error;
    throw new CairnError(error.code, unloadable(record, error), { cause: error, details: error.details });
  }
}

/**
 * One sentence on why a stored version cannot be loaded here. It was valid when stored, so what is
 * missing is this process's: most often an action it has not registered.
 */
function unloadable(record: WorkflowVersionRecord, error: CairnError): string {
  const problems = (error.details as { problems?: unknown } | undefined)?.problems;
  const list = Array.isArray(problems) ? problems.map(String) : [error.message];
  const actions = new Set(
    list.flatMap((p) => [...p.matchAll(/unknown action "([^"]+)"/g)].map((m) => m[1]!)),
  );
  const head = `Workflow "${record.workflowId}" version ${record.version} cannot run in this process`;
  if (actions.size > 0)
    return `${head}: it calls ${[...actions].map((a) => `"${a}"`).join(", ")}, not registered here (register ${actions.size > 1 ? "them" : "it"} with Cairn.open({ actions }) in every process that starts or executes its runs).`;
  // Locations point into the stored canonical JSON, which nobody wrote: the problems without them.
  return `${head}: ${list.map((p) => p.replace(/^\S+@[0-9a-f]+:\d+:\d+: /, "")).join("; ")}.`;
}

/**
 * The client's actions that make a run: start, resume (in place), restart and rerun (a new run from
 * an old one). Each records the run and leaves it to a worker; `CairnClient` wraps the result in a handle.
 */

import fs from "node:fs";
import path from "node:path";
import type { WorkflowLike } from "../core/builder.js";
import { validateInput } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import type { ResumeOptions, ResumePlan } from "../core/resume-plan.js";
import type { RunRecord } from "../core/types.js";
import { isCommittedUnsynced, type StoreTx } from "../store/store.js";
import type { ClientState } from "./client-state.js";
import { insertRun } from "./create-run.js";
import { parseRunTimeout } from "./deadlines.js";
import { newId } from "./ids.js";
import { copyWorkdir, type RerunOptions, type RerunSelection, rerunRun, restartRun } from "./lineage.js";
import { linkedRuns } from "./linked-resume.js";
import { withAttemptSpans } from "./open-tracing.js";
import type { LoadedWorkflow } from "./registry.js";
import { resumeRun } from "./resume.js";
import { checkSecrets, sameRun } from "./run-checks.js";
import { ensureRegistered, workflowById, workflowForNewRun, workflowOfRun } from "./workflow-lookup.js";

export interface StartOptions {
  runId?: string;
  secrets?: Record<string, string>;
  actor?: string;
  /** Only record the run; let any worker execute it. */
  detach?: boolean;
  /** Tenant of the new run (the API passes the token's). Default: this instance's tenant. */
  tenant?: string;
  /** The run's deadline ("30m", or milliseconds); default: the workflow's `timeout`. */
  timeout?: number | string;
  /**
   * Start a workflow stored as data (`storeWorkflow`, `PUT /api/workflows/{id}`): this version of the
   * tenant's, or "latest" for its newest. Without it, a workflow id not registered by any process
   * starts the tenant's newest stored version.
   */
  version?: string;
}

export type ClientResumeOptions = ResumeOptions & {
  secrets?: Record<string, string>;
  actor?: string;
  detach?: boolean;
  /** A deadline for this resume ("30m", or milliseconds); default: the run's own time limit, afresh. */
  timeout?: number | string;
};

export type NewRunOptions = {
  actor?: string;
  secrets?: Record<string, string>;
  detach?: boolean;
  /**
   * Restart or rerun with this stored version ("latest": the newest) of the run's workflow. Default:
   * for a run of a workflow stored as data, the tenant's newest version; otherwise the current definition.
   */
  version?: string;
};

/** Start a run, or (an existing `runId`) return that run instead of starting a second one. */
export async function startRun(
  state: ClientState,
  workflow: WorkflowLike | string,
  input: unknown,
  options: StartOptions,
): Promise<RunRecord> {
  const { store } = state;
  const tenant = options.tenant ?? state.options.tenant;
  if (typeof workflow !== "string" && options.version !== undefined)
    throw new CairnError(
      "USAGE",
      "A version names a workflow stored as data: start it by its id, not with a definition.",
    );
  const loaded =
    typeof workflow === "string"
      ? await workflowById(state, workflow, { tenant, version: options.version })
      : await ensureRegistered(state, workflow);
  const definition = loaded.definition;
  const runId = options.runId ?? newId("run");
  if (options.runId !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(runId))
    throw new CairnError(
      "INVALID_INPUT",
      `Run id "${runId}" may only contain letters, digits, "_", "." and "-" (at most 128).`,
    );
  const existing = await store.getRun(runId);
  if (existing) {
    // Found, but perhaps committed by this process a moment ago and not yet on disk.
    await store.flushed();
    return sameRun(existing, tenant, definition.id);
  }
  const value = await validateInput(definition, input);
  const timeoutMs = parseRunTimeout(options.timeout);
  checkSecrets(definition.secrets, options.secrets, `Workflow "${definition.id}"`);
  const workdir = path.join(store.dataDir, "runs", runId);
  fs.mkdirSync(workdir, { recursive: true });
  // A detached run is left to other workers, even when this instance executes only its own runs.
  const inserted = await creatingRun(state, runId, workdir, options, () =>
    withAttemptSpans(state.tracing, (spans) =>
      store.transaction((tx) =>
        insertRun(tx, {
          runId,
          workflow: loaded,
          input: value,
          tenant,
          workdir,
          origin: "start",
          parent: null,
          driverId: driver(state, options.detach),
          trigger: state.options.trigger,
          actor: options.actor ?? null,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          spans,
        }),
      ),
    ),
  );
  // Another start with the same id may have won the race between the check above and the insert.
  const run = inserted.created ? inserted.run : sameRun(inserted.run, tenant, definition.id);
  state.worker?.wake();
  return run;
}

/**
 * Continue a failed, cancelled, paused or interrupted run in place, with the current definition (for
 * a workflow stored as data: the run's own version).
 */
export async function resumeInPlace(
  state: ClientState,
  runId: string,
  options: ClientResumeOptions,
): Promise<{ run: RunRecord; plan: ResumePlan }> {
  const timeoutMs = parseRunTimeout(options.timeout);
  const workflow = await workflowOfRun(state, runId);
  const secretNames = Object.keys(options.secrets ?? {});
  // A caller and the child runs it waits for are resumed together, in one transaction.
  const linked = await linkedRuns(state.store, runId, secretNames);
  const workflows = new Map<string, LoadedWorkflow>();
  for (const { runId: id } of linked) workflows.set(id, await workflowOfRun(state, id));
  const common = {
    secretNames,
    trigger: state.options.trigger,
    actor: options.actor ?? null,
    driverId: driver(state, options.detach),
  };
  // Not waiting for the sync before the secrets are in place: the executor may claim the resumed
  // steps as soon as the commit is visible, and must find them. Acknowledged after the sync below.
  const { run, plan } = await withAttemptSpans(state.tracing, (spans) =>
    state.store.transaction(
      async (tx) => {
        for (const { runId: id } of linked)
          await resumeRun(tx, { ...common, runId: id, workflow: workflows.get(id)!, options: {} });
        return resumeRun(tx, {
          ...common,
          runId,
          workflow,
          options,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          spans,
        });
      },
      { sync: "later" },
    ),
  );
  for (const id of [runId, ...linked.map((l) => l.runId)]) {
    if (options.secrets) state.secrets.set(id, { ...options.secrets });
    if (!options.detach) state.ownRuns.add(id);
  }
  state.worker?.wake();
  await state.store.flushed();
  return { run, plan: linked.length > 0 ? { ...plan, linkedRuns: linked } : plan };
}

/** A new run of the same workflow (current definition) and input, from scratch. */
export function restartFrom(state: ClientState, runId: string, options: NewRunOptions): Promise<RunRecord> {
  return newRunFrom(state, runId, options, (tx, req) => restartRun(tx, req));
}

/** A new run executing the selected (or all failed) steps and their downstream; the rest is reused. */
export async function rerunFrom(
  state: ClientState,
  runId: string,
  selection: RerunSelection,
  options: RerunOptions & NewRunOptions,
): Promise<{ run: RunRecord; plan: ResumePlan }> {
  let plan: ResumePlan | undefined;
  const run = await newRunFrom(
    state,
    runId,
    options,
    async (tx, req) => {
      const result = await rerunRun(tx, { ...req, selection, ...options });
      plan = result.plan;
      return result.run;
    },
    true,
  );
  return { run, plan: plan! };
}

async function newRunFrom(
  state: ClientState,
  runId: string,
  options: NewRunOptions,
  create: (tx: StoreTx, req: Parameters<typeof restartRun>[1]) => Promise<RunRecord>,
  copyFiles = false,
): Promise<RunRecord> {
  const source = await state.store.getRun(runId);
  if (!source) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  const workflow = await workflowForNewRun(state, runId, options.version);
  checkSecrets(source.secretNames, options.secrets, `Run "${runId}"`);
  const newRunId = newId("run");
  const workdir = path.join(state.store.dataDir, "runs", newRunId);
  if (copyFiles) copyWorkdir(source.workdir, workdir);
  else fs.mkdirSync(workdir, { recursive: true });
  const run = await creatingRun(state, newRunId, workdir, options, () =>
    withAttemptSpans(state.tracing, (spans) =>
      state.store.transaction((tx) =>
        create(tx, {
          source: runId,
          newRunId,
          workflow,
          workdir,
          driverId: driver(state, options.detach),
          trigger: state.options.trigger,
          actor: options.actor ?? null,
          spans,
        }),
      ),
    ),
  );
  state.worker?.wake();
  return run;
}

/**
 * Insert a new run whose directory exists: its secrets and ownership are in place before the
 * commit (a worker may claim its steps at once); when the insert fails, nothing half-made is left
 * behind (no directory, no in-memory secrets for a run that does not exist).
 */
async function creatingRun<T>(
  state: ClientState,
  runId: string,
  workdir: string,
  options: NewRunOptions,
  insert: () => Promise<T>,
): Promise<T> {
  if (options.secrets) state.secrets.set(runId, { ...options.secrets });
  if (!options.detach) state.ownRuns.add(runId);
  try {
    return await insert();
  } catch (error) {
    if (isCommittedUnsynced(error)) throw error;
    fs.rmSync(workdir, { recursive: true, force: true });
    state.ownRuns.delete(runId);
    state.secrets.delete(runId);
    throw error;
  }
}

/** The worker that will drive a new run: the attached one, unless the run is detached. */
function driver(state: ClientState, detach: boolean | undefined): string | null {
  return state.worker && !detach ? state.worker.workerId : null;
}

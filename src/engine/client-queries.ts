import type { ResumeOptions, ResumePlan } from "../core/resume-plan.js";
import type {
  CairnEvent,
  ItemRecord,
  Json,
  LogLine,
  RunAttemptRecord,
  RunRecord,
  StepRecord,
  WorkflowRecord,
} from "../core/types.js";
import type {
  DeletedRunRecord,
  ItemFilter,
  ItemSummary,
  MetricCounts,
  RunFilter,
  StepReadOptions,
} from "../store/store.js";
import { stateOf } from "./client-state.js";
import { findItem, itemLogLines } from "./item-lookup.js";
import { type LatestFailed, latestFailed } from "./latest-failed.js";
import { planRerun, type RerunOptions, type RerunSelection } from "./lineage.js";
import { linkedRuns } from "./linked-resume.js";
import { planResume } from "./resume.js";
import { type RunView, viewHistory, viewRun } from "./run-view.js";
import { listShownRuns, type ShownRunPage } from "./shown-runs.js";
import { type WorkflowHistoryPage, workflowHistory } from "./workflow-history.js";
import { workflowForNewRun, workflowOfRun } from "./workflow-lookup.js";

/** Which events `eventsAfter` reads: one run's, or (no `runId`) every run's of a tenant. */
export interface EventFilter {
  runId?: string;
  tenant?: string;
  afterSeq: number;
  limit: number;
}

/**
 * The client's read queries, named for what they answer. They change nothing (a plan is a dry run);
 * `CairnClient` adds the actions.
 */
export class ClientQueries {
  /** The run with its steps; a running run whose owner died is reported as interrupted. */
  async get(runId: string): Promise<RunView | undefined> {
    const { store, definitions } = stateOf(this);
    const run = await store.getRun(runId);
    const view = run && (await viewRun(store, runId, definitions.known(run)));
    // Reported once what was read is on disk (read first: a commit made after a sync is not covered by it).
    await store.flushed();
    return view;
  }

  /** The run's record as stored, without its steps (a run whose owner died still reads `running`). */
  run(runId: string): Promise<RunRecord | undefined> {
    return stateOf(this).store.getRun(runId);
  }

  /** Runs as stored, newest first (a run whose owner died still reads `running`). */
  list(filter: RunFilter = {}): Promise<RunRecord[]> {
    return stateOf(this).store.listRuns(filter);
  }

  /**
   * A page of runs as `cairn ls` and the API show them: a running run whose owner died is
   * interrupted, and `statuses` match the status shown. Pass `next` as `before` for the next page.
   *
   * @example const { runs, next } = await cairn.listShown({ statuses: ["failed", "interrupted"], limit: 50 });
   */
  listShown(filter: RunFilter = {}): Promise<ShownRunPage> {
    return listShownRuns(stateOf(this).store, async (run) => (await this.get(run.id))?.run ?? run, filter);
  }

  /**
   * A run's steps: all, in insertion order, or the given ones. `{ outputs: false }` may leave out
   * each step's output, vars and checkpoint (for callers that need statuses only).
   */
  steps(runId: string, stepIds?: readonly string[], options?: StepReadOptions): Promise<StepRecord[]> {
    return stateOf(this).store.getSteps(runId, stepIds, options);
  }

  /** Runs made from this one (restarts and reruns). */
  childRuns(runId: string): Promise<RunRecord[]> {
    return stateOf(this).store.listChildRuns(runId);
  }

  /** Child runs that steps of this run started (`ctx.runWorkflow`, YAML `run-workflow:`), oldest first. */
  runsCalledBy(runId: string): Promise<RunRecord[]> {
    return stateOf(this).store.read((tx) => tx.listRunsCalledBy(runId));
  }

  /** Each map step's items of a run, counted by status, with the first error. */
  mapItems(runId: string): Promise<ItemSummary[]> {
    return stateOf(this).store.summariseItems(runId);
  }

  /** A map step's recorded items in item order: one status, after an index, up to a limit. */
  items(runId: string, stepId: string, filter?: ItemFilter): Promise<ItemRecord[]> {
    return stateOf(this).store.getItems(runId, stepId, filter);
  }

  /** One recorded item of a map step by its key, with the map step's log lines about it. */
  async item(
    runId: string,
    stepId: string,
    key: string,
  ): Promise<{ item: ItemRecord; logs: LogLine[] } | undefined> {
    const { store } = stateOf(this);
    const item = await findItem((filter) => store.getItems(runId, stepId, filter), key);
    if (!item) return undefined;
    return { item, logs: itemLogLines(await store.readLogs(runId, stepId), key) };
  }

  /** The tombstones of those of these runs that were deleted. */
  deletedRuns(runIds: readonly string[]): Promise<DeletedRunRecord[]> {
    return stateOf(this).store.read((tx) => tx.getDeletedRuns(runIds));
  }

  events(runId: string, afterSeq = 0): Promise<CairnEvent[]> {
    return stateOf(this).store.readEvents({ runId, afterSeq, limit: 100_000 });
  }

  /** The newest event's seq: list runs after reading it, then follow events after it (none is missed). */
  latestEventSeq(): Promise<number> {
    return stateOf(this).store.latestEventSeq();
  }

  /** Up to `limit` events after `afterSeq`, in order, returned once they are on disk. */
  async eventsAfter(filter: EventFilter): Promise<CairnEvent[]> {
    const { store } = stateOf(this);
    const events = await store.readEvents(filter);
    if (events.length > 0) await store.flushed();
    return events;
  }

  logs(runId: string, stepId?: string): Promise<LogLine[]> {
    return stateOf(this).store.readLogs(runId, stepId);
  }

  /** The values a step memoised, in the order it stored them. */
  memos(runId: string, stepId: string): Promise<Array<{ key: string; value: Json; at: number }>> {
    return stateOf(this).store.listMemos({ runId, stepId });
  }

  /** The run's attempts (its start and each resume), each with its outcome once it ended. */
  async history(runId: string): Promise<RunAttemptRecord[]> {
    const { store, definitions } = stateOf(this);
    const run = await store.getRun(runId);
    return viewHistory(store, runId, run && definitions.known(run));
  }

  workflows(): Promise<WorkflowRecord[]> {
    return stateOf(this).store.listWorkflows();
  }

  /** A workflow as last registered by any process. */
  workflow(workflowId: string): Promise<WorkflowRecord | undefined> {
    return stateOf(this).store.getWorkflow(workflowId);
  }

  /** One page of a workflow's history: every start and resume of its runs, newest first. */
  workflowHistory(query: {
    workflowId: string;
    tenant?: string;
    limit: number;
    cursor?: string;
  }): Promise<WorkflowHistoryPage> {
    return workflowHistory(stateOf(this).store, query);
  }

  /** The latest failed run of a workflow and its failed steps (topological order, then id). */
  latestFailed(workflowId: string, tenant?: string): Promise<LatestFailed | undefined> {
    return latestFailed(stateOf(this).store, workflowId, tenant);
  }

  /** What resume would do with every step, and why; changes nothing. */
  async resumePlan(
    runId: string,
    options: ResumeOptions & { secrets?: Record<string, string> } = {},
  ): Promise<ResumePlan> {
    const state = stateOf(this);
    const workflow = await workflowOfRun(state, runId);
    const secretNames = Object.keys(options.secrets ?? {});
    const { plan } = await state.store.read((tx) =>
      planResume(tx, { runId, workflow, options, secretNames, trigger: state.options.trigger, actor: null }),
    );
    const linked = await linkedRuns(state.store, runId, secretNames);
    return linked.length > 0 ? { ...plan, linkedRuns: linked } : plan;
  }

  /** What a rerun would execute and reuse (from which run), and why; changes nothing. */
  async rerunPlan(
    runId: string,
    selection: RerunSelection,
    options: RerunOptions & { version?: string } = {},
  ): Promise<ResumePlan> {
    const state = stateOf(this);
    const workflow = await workflowForNewRun(state, runId, options.version);
    const { plan } = await state.store.read((tx) => planRerun(tx, runId, workflow, selection, options));
    const from = (await state.store.getRun(runId))?.workflowVersion ?? null;
    return { ...plan, versions: { from, to: workflow.version } };
  }

  /** For metrics: runs per workflow and status, and ready steps per workflow, in the whole store. */
  countForMetrics(): Promise<MetricCounts> {
    return stateOf(this).store.countForMetrics();
  }

  /** Which database the store is. */
  get storeKind(): "sqlite" | "postgres" {
    return stateOf(this).store.kind;
  }

  /** The schema version the store records, and the latest this Cairn knows. */
  schemaVersion(): Promise<{ current: number; known: number }> {
    return stateOf(this).store.schemaVersion();
  }

  /** Resolves when the store answers a read (rejects when its file or server is gone). */
  async ping(): Promise<void> {
    await stateOf(this).store.getRun("healthz");
  }
}

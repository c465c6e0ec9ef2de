import type { Action } from "../core/action.js";
import type { CairnLogger } from "../core/logger.js";
import type { Store } from "../store/store.js";
import type { ResolvedOptions, WorkflowLoader } from "./cairn-options.js";
import type { LoadedWorkflow } from "./registry.js";
import type { RunDefinitions } from "./run-definitions.js";
import type { RunTracing } from "./tracing.js";
import type { WakeUps } from "./wake-ups.js";

/** What a client asks of the worker running beside it in the same process. */
export interface AttachedWorker {
  readonly workerId: string;
  /** False once the worker is closing: runs it drove are no longer moved here. */
  executing(): boolean;
  wake(): void;
  /** A workflow was registered: recover its runs whose owner died (when this worker recovers), then look for work. */
  workflowRegistered(): Promise<void>;
  abortRun(runId: string, reason: "cancelled"): void;
  close(options: { abort?: boolean; reason?: string }): Promise<void>;
}

/** A client's state, shared with a worker attached to it (not part of the public API). */
export interface ClientState {
  readonly store: Store;
  readonly ownsStore: boolean;
  readonly options: Readonly<ResolvedOptions>;
  readonly logger: CairnLogger;
  readonly loadWorkflow: WorkflowLoader | null;
  /** Actions registered here (besides the built-in ones), for definitions received as data. */
  readonly actions: readonly Action<never>[];
  /** Workflows registered in this process, by id. */
  readonly workflows: Map<string, LoadedWorkflow>;
  /** The definition of each run: registered (`workflows`) or its stored version, parsed once. */
  readonly definitions: RunDefinitions;
  /** Secrets of runs started or resumed here, held in memory only, by run id. */
  readonly secrets: Map<string, Readonly<Record<string, string>>>;
  /** Runs started or resumed here and not detached (a worker with `onlyOwnRuns` executes these). */
  readonly ownRuns: Set<string>;
  readonly wakeUps: WakeUps;
  /** Spans of run attempts and step executions, or null when tracing is off. */
  readonly tracing: RunTracing | null;
  worker: AttachedWorker | null;
  closed: boolean;
}

const states = new WeakMap<object, ClientState>();

export function bindState(client: object, state: ClientState): void {
  states.set(client, state);
}

export function stateOf(client: object): ClientState {
  const state = states.get(client);
  if (!state) throw new TypeError("Not a Cairn client.");
  return state;
}

/** The store under a client: for the worker and for tests that set up or inspect rows directly. */
export function storeOf(client: object): Store {
  return stateOf(client).store;
}

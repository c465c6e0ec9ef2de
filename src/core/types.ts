/**
 * Glossary — these words mean the same thing everywhere in Cairn.
 *
 * - workflow:   a named DAG of steps, defined in TypeScript or YAML.
 * - run:        one execution of a workflow with one input. Identified by a run id.
 * - step:       one node of the DAG inside a run. Identified by its step id (stable across runs).
 * - attempt:    one execution of a step's handler. A step's attempts count across retries and
 *               resumes of the same run (a crash recovery does not consume one).
 * - lease:      a step being executed is owned by one worker until `leaseExpiresAt`; every write by
 *               that owner carries the lease `epoch` and is rejected once the epoch moved on (fencing).
 * - worker:     a process (or one engine inside a process) that claims and executes steps. The
 *               worker holding a step's lease is its owner (`leaseOwner`); the worker a foreground
 *               `cairn run`/`resume` keeps a run to is its driver (`driverId`). No other words for these.
 * - orphan:     a step whose owner died while it ran; its processes may still be alive, and recovery
 *               ends them before the step is claimed again.
 * - checkpoint: a small JSON progress record a step writes while it runs; read back on its next attempt.
 * - memo:       a durable memoized sub-step inside a step (`ctx.memo(key, fn)`).
 * - action:     a named, versioned step type with parameters (`uses: http.request` + `with:`), called
 *               by definitions written as data; `${{ … }}` expressions in its parameters are references.
 * - item:       one element of the list a map step runs over; recorded with its own status, by key.
 * - wait:       a step parked until a time (a durable sleep), a signal or a child run's end; it holds
 *               no executor slot.
 * - lineage:    runs made from other runs: `parentRunId` (made from), `rootRunId` (first ancestor).
 * - child run:  a run a step started with `ctx.runWorkflow` (YAML `run-workflow:`) and waits for; its
 *               caller is that step (`callerRunId`, `callerStepId`). Not lineage: a child has its own.
 * - resume:     continue the same run in place: keep what succeeded, execute what did not.
 * - restart:    a new run of the same workflow with the same input, from scratch.
 * - rerun:      a new run that executes selected steps and their downstream, reusing the rest.
 * - provenance: where a step's result came from (executed, reused, recovered, set by hand) and why
 *               it was executed again.
 * - run attempt: one start or resume of a run (its history); not to be confused with a step attempt.
 * - trigger:    which door asked for a run attempt ("library", "cli", "api", "worker", "auto" for recovery);
 *               actor: who (a token id), when known. History lists both.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const RUN_STATUSES = ["running", "paused", "succeeded", "failed", "cancelled", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses from which `resume` may continue a run in place. */
export const RESUMABLE_RUN_STATUSES: readonly RunStatus[] = ["failed", "cancelled", "paused", "interrupted"];
/** Statuses from which `restart` and `rerun` may start a new run. */
export const FINISHED_RUN_STATUSES: readonly RunStatus[] = [
  "succeeded",
  "failed",
  "cancelled",
  "interrupted",
];

/**
 * pending: waiting for its needs. ready: may be claimed (not before `readyAt`).
 * running: claimed by a worker under a lease. The rest are final for the current attempt.
 */
export const STEP_STATUSES = ["pending", "ready", "running", "succeeded", "failed", "cancelled"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const RUN_ORIGINS = ["start", "restart", "rerun"] as const;
export type RunOrigin = (typeof RUN_ORIGINS)[number];

/** How a step's current result came to be. */
export const PROVENANCE_KINDS = ["executed", "reused", "recovered", "manual"] as const;
export type ProvenanceKind = (typeof PROVENANCE_KINDS)[number];

/** Why a step is (about to be) executed again. */
export const RERUN_REASONS = [
  "failed",
  "was-running",
  "was-cancelled",
  "definition-changed",
  "declared-file-changed",
  "selected",
  "downstream",
  "crash-recovery",
] as const;
export type RerunReason = (typeof RERUN_REASONS)[number];

/**
 * An item of a map step, recorded once it settled (the items still to run have no row). Item statuses
 * are a closed set apart from step statuses: an item is never pending, ready or parked.
 */
export const ITEM_STATUSES = ["succeeded", "failed"] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export interface ItemRecord {
  runId: string;
  stepId: string;
  /** The item's key: its index by default, or what the map's `key` gave. Unique within the map. */
  key: string;
  /** Position of the item in the list the map ran over. */
  index: number;
  status: ItemStatus;
  /** Executions of the item so far, over retries and re-executions of its map step. */
  attempts: number;
  output: Json | null;
  error: StepError | null;
  startedAt: number;
  finishedAt: number;
  /** Provenance: the run that executed the item, when a rerun reused it; null when executed in this run. */
  fromRunId: string | null;
}

export interface StepError {
  message: string;
  stack?: string;
  code?: string;
}

export interface Provenance {
  kind: ProvenanceKind;
  /** For `reused`: the run that executed the step and produced the output. */
  fromRunId?: string;
  /** Why this step was executed again in this run (absent for a first execution). */
  reason?: RerunReason;
  /** For `manual`: who set it and when. */
  by?: string;
  /** Definition fingerprint of the step when it executed. */
  fingerprint?: string;
}

export interface RunRecord {
  id: string;
  workflowId: string;
  tenant: string;
  status: RunStatus;
  input: Json;
  output: Json | null;
  error: StepError | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  origin: RunOrigin;
  parentRunId: string | null;
  rootRunId: string;
  /** Number of run attempts (1 = the first start; each resume adds one). */
  attempt: number;
  /** The worker driving this run when it is run in-process; null when any worker may take it. */
  driverId: string | null;
  /** Why the run is interrupted, or what stopped it. */
  reason: string | null;
  workdir: string;
  /** Names of the secrets the workflow declared; values are never stored. */
  secretNames: string[];
  /** Fingerprint of the whole definition the run last (re)started with. */
  fingerprint: string;
  /** Stop scheduling new steps once a step failed (from the workflow definition). */
  failFast: boolean;
  /** The run's time limit per start or resume (from the workflow, or given at start or resume). */
  timeoutMs: number | null;
  /** When the current start or resume runs out of time: past it the run fails (`deadline exceeded`). */
  deadlineAt: number | null;
  /** The file this run's definition was loaded from (`file.ts#export` for one export), or null. */
  source: string | null;
  /**
   * The stored version (of the run's tenant) the run executes, for a workflow stored as data; null for
   * a registered workflow (a file or code: its `fingerprint` says which definition it started with).
   * Resume keeps it; restart and rerun take the newest version unless one is named.
   */
  workflowVersion: string | null;
  /**
   * The W3C `traceparent` of the run's current attempt span when tracing is on (docs/operations.md,
   * "Traces"): the steps of the attempt are its children, and the next resume or recovery continues
   * the same trace from it. null when the run was started and resumed without tracing.
   */
  traceParent: string | null;
  /** For a child run: the run and step whose `ctx.runWorkflow` started it and waits for it; else null. */
  callerRunId: string | null;
  callerStepId: string | null;
}

/**
 * Why a `ready` step is parked: sleeping until `until`, waiting for the signal `name` (until its
 * timeout `until`, or without end when null), or for the child run `runId` to finish. Kept until the
 * step's next completion.
 */
export type StepWait =
  | { kind: "sleep"; until: number }
  | { kind: "signal"; name: string; until: number | null; schema?: Json }
  | { kind: "child"; runId: string; workflowId: string; until: null };

export interface StepRecord {
  runId: string;
  stepId: string;
  status: StepStatus;
  needs: string[];
  /** Executions of the handler in this run (across retries and resumes). */
  attempts: number;
  /** `attempts` when the current retry cycle began (a resume starts a new cycle). */
  attemptBase: number;
  /** Crash recoveries of this step (do not consume attempts). */
  recoveries: number;
  output: Json | null;
  vars: Record<string, Json> | null;
  error: StepError | null;
  checkpoint: Json | null;
  /** Digests of declared output files, by path. */
  files: Record<string, string> | null;
  startedAt: number | null;
  finishedAt: number | null;
  readyAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  leaseEpoch: number;
  fingerprint: string | null;
  provenance: Provenance | null;
  /** Set while the step is parked (status `ready`, `readyAt` = when it wakes): what it waits for. */
  wait: StepWait | null;
}

export interface RunAttemptRecord {
  runId: string;
  number: number;
  at: number;
  /** Which door asked ("library", "cli", "api", "worker", "auto"); see the glossary. */
  trigger: string;
  actor: string | null;
  action: "start" | "resume";
  strategy: Json | null;
  stepsDone: number;
  stepsTotal: number;
  outcome: RunStatus | null;
  endedAt: number | null;
  note: string | null;
}

/** A signal sent to a run (`cairn signal`, the API, `Cairn.signal`), kept until a wait takes it. */
export interface SignalRecord {
  /** Order of arrival (store-wide). */
  seq: number;
  runId: string;
  name: string;
  /** The sender's idempotency key: a second send with the same key is accepted once. */
  key: string | null;
  data: Json;
  sentAt: number;
  /** The step whose wait took it, and when; null while it waits to be taken. */
  takenBy: string | null;
  takenAt: number | null;
}

export const EVENT_TYPES = [
  "run.created",
  "run.resumed",
  "run.succeeded",
  "run.failed",
  "run.cancelled",
  "run.paused",
  "run.interrupted",
  "run.signalled",
  "step.ready",
  "step.started",
  "step.succeeded",
  "step.failed",
  "step.retrying",
  "step.waiting",
  "step.cancelled",
  "step.reset",
  "step.reused",
  "step.recovered",
  "step.marked-done",
  "step.completion-rejected",
  /** A map step's progress: `{ total, succeeded, failed }` items, at most once a second and when it ends. */
  "step.items",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface CairnEvent {
  seq: number;
  runId: string;
  tenant: string;
  stepId: string | null;
  type: EventType;
  at: number;
  data: Json | null;
}

export type NewEvent = Omit<CairnEvent, "seq">;

export interface LogLine {
  runId: string;
  stepId: string;
  attempt: number;
  at: number;
  stream: "stdout" | "stderr" | "log";
  line: string;
}

/**
 * One version of a workflow stored as data (over the API or `cairn workflows push`): its definition
 * as canonical JSON, addressed by its content, per tenant.
 */
export interface WorkflowVersionRecord {
  tenant: string;
  workflowId: string;
  /** A hash of the canonical definition: the same body gives the same version. */
  version: string;
  /** The definition as canonical JSON text (keys sorted). */
  definition: string;
  createdAt: number;
}

export interface WorkflowRecord {
  id: string;
  fingerprint: string;
  graph: Json;
  /** Where the definition was loaded from (a file path), when known. */
  source: string | null;
  updatedAt: number;
}

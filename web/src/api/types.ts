/**
 * The HTTP API's response shapes, as the UI reads them. They mirror src/server/schemas.ts (the
 * OpenAPI document is generated from those); test/web/api-types.test.ts checks them against it.
 * Times are milliseconds since the Unix epoch.
 */

export const RUN_STATUSES = ["running", "paused", "succeeded", "failed", "cancelled", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const STEP_STATUSES = ["pending", "ready", "running", "succeeded", "failed", "cancelled"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const RUN_ACTIONS = ["resume", "restart", "rerun", "cancel", "pause"] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

/** Whether the run's status allows an action now and, when not, why (core/run-actions.ts decides). */
export interface RunActionState {
  allowed: boolean;
  reason: string | null;
}

export type RunOrigin = "start" | "restart" | "rerun";
export type ProvenanceKind = "executed" | "reused" | "recovered" | "manual";
export type RerunReason =
  | "failed"
  | "was-running"
  | "was-cancelled"
  | "definition-changed"
  | "declared-file-changed"
  | "selected"
  | "downstream"
  | "crash-recovery";

export interface StepError {
  message: string;
  code?: string;
}

export interface Provenance {
  kind: ProvenanceKind;
  fromRunId?: string;
  reason?: RerunReason;
  by?: string;
  fingerprint?: string;
}

export interface Run {
  id: string;
  workflowId: string;
  tenant: string;
  status: RunStatus;
  input: unknown;
  output: unknown;
  error: StepError | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  origin: RunOrigin;
  parentRunId: string | null;
  rootRunId: string;
  /** Run attempts: 1 for the first start, +1 per resume. */
  attempt: number;
  reason: string | null;
  secretNames: string[];
  /** Which actions the run's status allows now: the UI shows these, it does not derive them. */
  actions: Record<RunAction, RunActionState>;
}

export interface Step {
  id: string;
  label: string | null;
  status: StepStatus;
  needs: string[];
  attempts: number;
  recoveries: number;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  output: unknown;
  error: StepError | null;
  provenance: Provenance | null;
  /** What a parked step waits for; it holds no executor slot. */
  waiting: StepWait | null;
}

export interface StepWait {
  kind: "sleep" | "signal";
  /** When it wakes (a signal's timeout); null: no end. */
  until: number | null;
  signal: string | null;
  description: string;
}

export interface RunDetail extends Run {
  steps: Step[];
  lineage: {
    parentRunId: string | null;
    /** The parent was deleted (gc, DELETE): shown as text, not as a link. */
    parentDeleted: boolean;
    rootRunId: string;
    children: Array<{ id: string; origin: RunOrigin; status: RunStatus }>;
  };
  orphaned: string | null;
  /** Set while the run is running but every unfinished step is parked ("step "x" sleeping until T"). */
  waiting: string | null;
}

export interface LogLine {
  attempt: number;
  at: number;
  stream: "stdout" | "stderr" | "log";
  line: string;
}

export interface StepDetail extends Omit<Step, "error"> {
  runId: string;
  /** The step code's own error, with its stack (secrets masked). */
  error: { message: string; code?: string; stack?: string } | null;
  checkpoint: unknown;
  vars: unknown;
  /** Memoized sub-steps recorded by `ctx.memo`. */
  memos: Array<{ key: string; at: number; value: unknown }>;
  logs: LogLine[];
}

export interface RunPage {
  runs: Run[];
  nextCursor: string | null;
}

export interface RunAttempt {
  number: number;
  at: number;
  trigger: string;
  actor: string | null;
  action: "start" | "resume";
  strategy: unknown;
  stepsDone: number;
  stepsTotal: number;
  outcome: RunStatus | null;
  endedAt: number | null;
  note: string | null;
}

export const PLAN_ACTIONS = ["keep", "retry", "reset", "run", "rerun", "blocked", "mark-done"] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];
export const ON_CHANGE = ["error", "rerun", "keep"] as const;
export type OnChange = (typeof ON_CHANGE)[number];

export interface PlanStep {
  stepId: string;
  status: StepStatus | "new";
  action: PlanAction;
  why: string;
  cause: RerunReason | null;
  /** For a kept step: the run whose recorded output is used. */
  fromRunId: string | null;
}

/** core/resume-plan.ts ResumePlan: what a resume or a rerun would do with every step. */
export interface Plan {
  steps: PlanStep[];
  changed: string[];
  unknown: string[];
  refusal: string | null;
  summary: Record<PlanAction, number>;
}

/** A plan plus the secrets the resume (or rerun) request must carry. */
export interface ResumePlan extends Plan {
  secretsNeeded: string[];
}

export interface WorkflowSummary {
  id: string;
  fingerprint: string;
  updatedAt: number;
  stepCount: number;
  secrets: string[];
  hasInputSchema: boolean;
}

export interface WorkflowStep {
  id: string;
  needs: string[];
  label: string | null;
  effects: "idempotent" | "non-idempotent";
  timeoutMs: number | null;
  retry: { attempts: number; initialMs: number; factor: number; maxMs: number };
  outputs: string[];
}

export interface Workflow extends WorkflowSummary {
  steps: WorkflowStep[];
  failFast: boolean;
  recovery: "auto" | "manual";
  maxRecoveries: number;
  /** The run input's JSON Schema, when the workflow has one. */
  inputSchema: unknown;
}

export interface FailedStep {
  stepId: string;
  label: string | null;
  /** First line of the step's error. */
  error: string;
}

export interface LatestFailed {
  run: Run;
  failed: FailedStep[];
}

export type EventType =
  | "run.created"
  | "run.resumed"
  | "run.succeeded"
  | "run.failed"
  | "run.cancelled"
  | "run.paused"
  | "run.interrupted"
  | "run.signalled"
  | "step.ready"
  | "step.started"
  | "step.succeeded"
  | "step.failed"
  | "step.retrying"
  | "step.waiting"
  | "step.cancelled"
  | "step.reset"
  | "step.reused"
  | "step.recovered"
  | "step.marked-done"
  | "step.completion-rejected";

/** One run or step transition: the `data:` of an SSE message; `seq` is also its `id:`. */
export interface CairnEvent {
  seq: number;
  runId: string;
  stepId: string | null;
  type: EventType;
  at: number;
  data: unknown;
}

export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

export { BUILT_IN_ACTIONS } from "./actions/built-in.js";
export { Cairn, type CairnOptions } from "./cairn.js";
export { type Action, type ActionOptions, defineAction } from "./core/action.js";
export {
  type MapOptions,
  type StepOptions,
  Workflow,
  type WorkflowOptions,
  workflow,
} from "./core/builder.js";
export type {
  InputSchema,
  Logger,
  RetryPolicy,
  RunVariables,
  StepContext,
  StepDefinition,
  WorkflowDefinition,
} from "./core/definition.js";
export { CairnError, type ErrorCode } from "./core/errors.js";
export type { CairnLogger, LogLevel } from "./core/logger.js";
export { MAX_MAP_ITEMS, type MapItemContext } from "./core/map-spec.js";
export type { OnChange, PlanAction, PlanStep, ResumeOptions, ResumePlan } from "./core/resume-plan.js";
export type { MissedPolicy, ScheduleDefinition, ScheduleOptions } from "./core/schedule.js";
export * from "./core/types.js";
export type { ClientOptions, WorkerOptions, WorkflowLoader } from "./engine/cairn-options.js";
export { CairnClient, type RunHandle, type StartOptions } from "./engine/client.js";
export type { RerunOptions, RerunSelection } from "./engine/lineage.js";
export type { RunView } from "./engine/run-view.js";
export type { ScheduleView } from "./engine/schedules.js";
export type { ShownRunPage } from "./engine/shown-runs.js";
export type { SignalWaitOptions } from "./engine/signal-wait.js";
export type { SignalReceipt } from "./engine/signals.js";
export { CairnWorker } from "./engine/worker.js";
export { type LoadOptions, loadOneWorkflow, loadWorkflowFile } from "./loader/load-workflow-file.js";
export { createLogger, type LoggerOptions } from "./logging/create-logger.js";
export { openStore } from "./store/open-store.js";
export type { RunFilter, Store } from "./store/store.js";
export type { TokenRecord, TokenStore } from "./store/tokens.js";
export { tracerProviderFromEnv } from "./tracing/tracer-provider-from-env.js";

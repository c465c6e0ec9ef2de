import type { StepDefinition } from "../core/definition.js";
import { type CairnError, firstLine, toError } from "../core/errors.js";
import { toJsonValue } from "../core/json-value.js";
import { Redactor } from "../core/redact.js";
import { backoffMs, mayRetry } from "../core/retry.js";
import type { Json, LogLine, RunRecord, StepError, StepRecord, StepWait } from "../core/types.js";
import type { FencedStepRef, Store } from "../store/store.js";
import type { ChildStarter } from "./child-wait.js";
import { deadlineReason } from "./deadlines.js";
import { digestFiles } from "./declared-files.js";
import { endEarlierExecution } from "./process-groups.js";
import type { LoadedWorkflow } from "./registry.js";
import { ExecutionState } from "./step-context.js";
import type { StepOutcome } from "./transitions.js";

/** Outputs above this size are stored, with a warning in the step's log. */
const LARGE_OUTPUT_BYTES = 1024 * 1024;

/**
 * Why an execution was aborted from outside; decides how the outcome is recorded. "lease-expired": the
 * owner could not renew its lease (database unreachable) for as long as the lease lasts; another worker
 * may take the step over, so the execution ends and the step is given back.
 */
export type AbortCause = "cancelled" | "lease-lost" | "lease-expired" | "shutdown" | "deadline";

export interface ExecuteParams {
  readonly store: Store;
  readonly workflow: LoadedWorkflow;
  readonly run: RunRecord;
  readonly step: StepRecord;
  readonly secrets: Readonly<Record<string, string>>;
  /**
   * Aborted by the executor with an AbortCause as reason, and here on a timeout or a lost lease. One
   * controller per execution: linking a second one to it cost more than the rest of a trivial step.
   */
  readonly controller: AbortController;
  /** How long an aborted handler may take to settle before it is abandoned. */
  readonly abortGraceMs: number;
  readonly clock: () => number;
  /** Given the execution's log buffer, so the executor can store lines while the step runs. */
  readonly onLogBuffer?: (logs: LogLine[]) => void;
  /** Starts the child runs the step asks for (`ctx.runWorkflow`); null: it cannot. */
  readonly children?: ChildStarter | null;
}

class StepTimeout extends Error {
  constructor(ms: number) {
    super(`Step timed out after ${ms}ms.`);
    this.name = "StepTimeout";
  }
}

/**
 * Execute one claimed step: load what it needs (its needs' outputs and variables — nothing else; its
 * own checkpoint came with the claim, its memos are read on first use), call the handler under its
 * timeout, and describe the outcome.
 * No transaction is open while the handler runs.
 */
export async function executeStep(p: ExecuteParams): Promise<StepOutcome> {
  const { step, run, workflow, controller } = p;
  const definition = workflow.steps.get(step.stepId)!;
  const ref = { runId: run.id, stepId: step.stepId, epoch: step.leaseEpoch, owner: step.leaseOwner };
  const fingerprint = workflow.fingerprints.get(step.stepId)!;
  const redactor = new Redactor(p.secrets);
  const state = await prepareExecution(p, definition, ref, redactor);
  p.onLogBuffer?.(state.logs);
  const base = { ref, fingerprint, logs: state.logs };
  try {
    // An earlier execution whose owner died may still be running on this machine: it ends first.
    await endEarlierExecution(p.store, ref);
    const raw = await callHandler(definition, state, controller, p.abortGraceMs);
    if (state.parked) return parkedOutcome(base, state.parked, step);
    // A handler that finished despite a cancel did its work: keep it. A timeout or a lost lease does not.
    const reason: unknown = controller.signal.reason;
    if (reason instanceof StepTimeout || reason === "lease-lost" || reason === "deadline") throw reason;
    return { ...base, ...succeeded(raw, definition, state, redactor, run.workdir) };
  } catch (thrown) {
    return failedOutcome(p, base, state, redactor, thrown);
  }
}

/** The execution's state and context: the outputs and variables of the steps it needs, read now. */
async function prepareExecution(
  p: ExecuteParams,
  definition: StepDefinition,
  ref: FencedStepRef,
  redactor: Redactor,
): Promise<ExecutionState> {
  const { run, step, controller } = p;
  // Only the outputs this step needs, read now; its own row came with its claim.
  const rows = definition.needs.length > 0 ? await p.store.getSteps(run.id, definition.needs) : [];
  const byId = new Map(rows.map((r) => [r.stepId, r]));
  const needs: Record<string, Json> = {};
  const inheritedVars: Record<string, Json> = {};
  for (const need of definition.needs) {
    const row = byId.get(need);
    needs[need] = row?.output ?? null;
    Object.assign(inheritedVars, row?.vars ?? {});
  }
  return new ExecutionState({
    store: p.store,
    ref,
    run,
    children: p.children ?? null,
    tenant: run.tenant,
    input: run.input,
    needs,
    inheritedVars,
    runAttempt: run.attempt,
    stepAttempt: step.attempts,
    workdir: run.workdir,
    signal: controller.signal,
    secrets: p.secrets,
    redactor,
    lastCheckpoint: step.checkpoint ?? undefined,
    loadMemos: async () => new Map((await p.store.listMemos(ref)).map((m) => [m.key, m.value])),
    checkpointIntervalMs: p.workflow.definition.checkpointIntervalMs,
    onLeaseLost: () => controller.abort("lease-lost" satisfies AbortCause),
    clock: p.clock,
  });
}

/**
 * Call the handler under the step's timeout. Once the execution is aborted the handler has
 * `abortGraceMs` to react to the signal; then it is abandoned and the abort's reason is thrown.
 */
async function callHandler(
  definition: StepDefinition,
  state: ExecutionState,
  controller: AbortController,
  abortGraceMs: number,
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const handlerDone = Promise.resolve().then(() => definition.handler(state.context as never));
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => {
        // Give the handler a grace period to react to the signal, then abandon it.
        setTimeout(() => reject(controller.signal.reason), abortGraceMs).unref();
      };
      if (controller.signal.aborted) onAbort();
      else controller.signal.addEventListener("abort", onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    if (definition.timeoutMs !== null) {
      const ms = definition.timeoutMs;
      timer = setTimeout(() => controller.abort(new StepTimeout(ms)), ms);
    }
    return await Promise.race([handlerDone, aborted]);
  } finally {
    clearTimeout(timer);
  }
}

/** The handler's result as the step's output, with its declared files digested (all must exist). */
function succeeded(
  raw: unknown,
  definition: StepDefinition,
  state: ExecutionState,
  redactor: Redactor,
  workdir: string,
): Pick<StepOutcome, "kind" | "output" | "vars" | "files"> {
  const output = redactor.json(toJsonValue(raw));
  const size = Buffer.byteLength(JSON.stringify(output));
  if (size > LARGE_OUTPUT_BYTES)
    state.line(
      "log",
      `warn: output is ${(size / 1048576).toFixed(1)} MiB; large outputs slow down resumes and reruns`,
    );
  let files: Record<string, string> | null = null;
  if (definition.outputs.length > 0) {
    const digests = digestFiles(workdir, definition.outputs);
    const missing = definition.outputs.filter((f) => digests[f] === null);
    if (missing.length > 0)
      throw new Error(
        `Declared output file${missing.length > 1 ? "s" : ""} missing after the step: ${missing.join(", ")}.`,
      );
    files = digests as Record<string, string>;
  }
  return { kind: "succeeded", output, vars: state.completedVars(), files };
}

/**
 * A handler that threw, timed out or was aborted: parked (it asked to wait), cancelled (its run was
 * cancelled or its process is shutting down), or failed, with the time of its retry when it has one.
 */
function failedOutcome(
  p: ExecuteParams,
  base: Pick<StepOutcome, "ref" | "fingerprint" | "logs">,
  state: ExecutionState,
  redactor: Redactor,
  thrown: unknown,
): StepOutcome {
  const { controller, step, run } = p;
  const cause = controller.signal.aborted ? controller.signal.reason : undefined;
  if (state.parked && cause === undefined) return parkedOutcome(base, state.parked, step);
  const checkpoint = state.pendingCheckpoint;
  if (cause === "cancelled" || cause === "shutdown")
    return {
      ...base,
      kind: "cancelled",
      shutdown: cause === "shutdown",
      checkpoint,
      error: {
        message:
          cause === "cancelled"
            ? "The run was cancelled while this step ran."
            : "The worker shut down while this step ran.",
      },
    };
  const error =
    cause === "deadline"
      ? { message: `Aborted: the run's ${deadlineReason(run)}.` }
      : describeError(cause instanceof StepTimeout ? cause : thrown, redactor);
  state.line("stderr", `attempt ${step.attempts} failed: ${firstLine(error.message)}`);
  const retry = p.workflow.steps.get(step.stepId)!.retry;
  const retryAt =
    cause !== "lease-lost" && cause !== "deadline" && mayRetry(retry, step.attempts, step.attemptBase)
      ? p.clock() + backoffMs(retry, step.attempts - step.attemptBase)
      : null;
  // A retry starts new child runs in place of those that failed this attempt (engine/child-wait.ts).
  const memos = retryAt !== null && state.retiring.length > 0 ? { memos: state.retiring } : {};
  return { ...base, kind: "failed", error, retryAt, checkpoint, ...memos };
}

/**
 * Given up because the lease could not be renewed ("lease-expired"): the step is handed back, not
 * failed, and another execution (here or elsewhere) runs it; a fenced write keeps a taker's claim intact.
 */
export function handedBack(executed: StepOutcome, step: StepRecord): StepOutcome {
  return {
    ...executed,
    kind: "released",
    release: {
      attempts: Math.max(step.attemptBase, step.attempts - 1),
      recoveries: step.recoveries + 1,
      reason: "its worker could not renew the lease (database unreachable)",
    },
  };
}

/** A parked step (a sleep not yet due): its attempt is given back, as the execution did not fail. */
function parkedOutcome(
  base: Pick<StepOutcome, "ref" | "fingerprint" | "logs">,
  wait: StepWait,
  step: StepRecord,
): StepOutcome {
  return { ...base, kind: "waiting", wait, attempts: step.attempts - 1 };
}

function describeError(thrown: unknown, redactor: Redactor): StepError {
  const error = toError(thrown);
  const code = (error as { code?: unknown }).code;
  return {
    message: redactor.text(error.message || error.name),
    ...(error.stack ? { stack: redactor.text(error.stack) } : {}),
    ...(typeof code === "string" ? { code } : {}),
  };
}

/** The final failure of a step whose run's definition cannot be loaded in this process (the reason). */
export function unrunnable(step: StepRecord, error: CairnError): StepOutcome {
  return {
    ref: { runId: step.runId, stepId: step.stepId, epoch: step.leaseEpoch, owner: step.leaseOwner },
    kind: "failed",
    error: { message: error.message, code: error.code },
    retryAt: null,
    logs: [],
    fingerprint: step.fingerprint ?? "",
  };
}

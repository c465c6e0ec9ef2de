import type { Json, LogLine, NewEvent, RunRecord, StepError, StepRecord, StepWait } from "../core/types.js";
import type { ClaimFilter, FencedStepRef, StoreTx } from "../store/store.js";
import { childEnded } from "./child-runs.js";
import { expireRun, pastDeadline } from "./deadlines.js";
import type { LoadedWorkflow } from "./registry.js";
import { event } from "./run-events.js";
import { finishRunIfDone } from "./run-finish.js";

/**
 * The run/step state machine, written once over the store port. Every function runs inside the
 * caller's transaction: a step's completion, its successors becoming ready, the run finishing and
 * the events describing all of it commit together or not at all.
 */

export interface StepOutcome {
  readonly ref: FencedStepRef;
  /**
   * "released": the owner gave the step up unfinished (its lease could not be kept); it is ready again.
   * "waiting": the step parked itself (a sleep not yet due, a signal not yet sent); see engine/sleep.ts.
   */
  readonly kind: "succeeded" | "failed" | "cancelled" | "released" | "waiting";
  readonly output?: Json;
  readonly vars?: Record<string, Json> | null;
  readonly files?: Record<string, string> | null;
  readonly error?: StepError;
  /** For a failed attempt that will be retried: when. null or absent: the failure is final. */
  readonly retryAt?: number | null;
  readonly logs: readonly LogLine[];
  readonly fingerprint: string;
  /** For waiting: what the step waits for, and its attempts count to go back to (the claim's minus one). */
  readonly wait?: StepWait;
  readonly attempts?: number;
  /** A checkpoint the step asked for but that was still throttled: kept next to the error. */
  readonly checkpoint?: Json | undefined;
  /** For "released": the step's counters once given back (a crash consumes no attempt). */
  readonly release?: { readonly attempts: number; readonly recoveries: number; readonly reason: string };
  /**
   * Aborted because its process is shutting down, not because the step or the run failed: a run
   * driven by that process is not settled here; the process releases it as `interrupted` on close.
   */
  readonly shutdown?: boolean;
  /** For failed: memos written with the failure, under the same lease (child runs a retry retires). */
  readonly memos?: ReadonlyArray<{ readonly key: string; readonly value: Json }>;
}

export interface OutcomeResult {
  /** Successors claimed for the caller in the same transaction (no second round trip). */
  claimed: StepRecord[];
  /** Outcomes whose lease had moved on: nothing of theirs was written but a rejection event. */
  rejected: FencedStepRef[];
  /** Runs that reached a final (or paused) status. */
  settled: RunRecord[];
  /** Whether any step became ready that was not claimed here. */
  readied: boolean;
  /** The runs read in this transaction, by id: those of the claimed steps among them. */
  runs: Map<string, RunRecord>;
}

/** Claim up to `limit` ready steps for a worker: each claim bumps the lease epoch. */
export async function claimSteps(
  tx: StoreTx,
  filter: Omit<ClaimFilter, "now">,
  leaseMs: number,
  /** Filled with the runs of the claimed steps, as read here: the executor then needs no read of its own. */
  runs = new Map<string, RunRecord>(),
): Promise<StepRecord[]> {
  const now = await tx.now();
  const refs = await tx.selectClaimable({ ...filter, now });
  const claimed: StepRecord[] = [];
  for (const ref of refs) {
    let run = runs.get(ref.runId);
    if (!run) {
      run = (await tx.getRun(ref.runId))!;
      runs.set(run.id, run);
    }
    // Past its deadline: the run fails instead of starting another step.
    if (pastDeadline(run, now)) {
      const expired = run.status === "running" ? await expireRun(tx, run.id, { run, now }) : null;
      if (expired) runs.set(run.id, expired);
      continue;
    }
    const step = await claimOne(tx, run, ref.stepId, filter.workerId, now, leaseMs);
    if (step) claimed.push(step);
  }
  return claimed;
}

async function claimOne(
  tx: StoreTx,
  run: RunRecord,
  stepId: string,
  workerId: string,
  now: number,
  leaseMs: number,
  from: "ready" | "pending" = "ready",
): Promise<StepRecord | null> {
  const step = await tx.claimStep({ runId: run.id, stepId }, from, { workerId, now, leaseMs });
  if (!step) return null;
  await tx.appendEvents([
    event(run, "step.started", now, stepId, {
      attempt: step.attempts,
      epoch: step.leaseEpoch,
      worker: workerId,
    }),
  ]);
  return step;
}

/**
 * Record a batch of step outcomes (group commit): fenced step writes, successors made ready (and
 * claimed for the caller when it has room), runs finished.
 */
export async function recordOutcomes(
  tx: StoreTx,
  outcomes: readonly StepOutcome[],
  deps: {
    /** The run's definition (registered, or its stored version), when this process has it at hand. */
    workflow(run: RunRecord): LoadedWorkflow | undefined;
    claimFor?: { workerId: string; leaseMs: number; limit: number };
  },
): Promise<OutcomeResult> {
  const now = await tx.now();
  const result: OutcomeResult = { claimed: [], rejected: [], settled: [], readied: false, runs: new Map() };
  const succeeded = await writeOutcomes(tx, outcomes, deps.workflow, result, now);
  const claimedRuns = await readySuccessors(tx, succeeded, deps.claimFor, result, now);
  // Runs whose driving process is stopping: interrupted by it on close, not failed here.
  const stopping = new Set(
    outcomes.filter((o) => o.shutdown && result.runs.get(o.ref.runId)?.driverId).map((o) => o.ref.runId),
  );
  for (const run of result.runs.values()) {
    // A run with a step claimed just now is still running.
    if (claimedRuns.has(run.id) || stopping.has(run.id)) continue;
    const settled = await finishRunIfDone(tx, run, deps.workflow(run), now);
    if (settled) result.settled.push(settled);
  }
  return result;
}

/** Per run: the steps that succeeded in a batch, and their successors to look at once all are written. */
type Successes = Map<string, { workflow: LoadedWorkflow; done: Set<string>; next: Set<string> }>;

/**
 * Write each outcome fenced on its claim, with its event (a rejection event when the lease moved
 * on), then the batch's log lines. The runs read go to `result.runs`.
 */
async function writeOutcomes(
  tx: StoreTx,
  outcomes: readonly StepOutcome[],
  workflowOf: (run: RunRecord) => LoadedWorkflow | undefined,
  result: OutcomeResult,
  now: number,
): Promise<Successes> {
  const touched = result.runs;
  const logs: LogLine[] = [];
  const succeeded: Successes = new Map();
  // Runs are touched in id order so that two concurrent batches lock them in the same order.
  const ordered = [...outcomes].sort((a, b) =>
    a.ref.runId < b.ref.runId ? -1 : a.ref.runId > b.ref.runId ? 1 : 0,
  );
  for (const outcome of ordered) {
    const { ref } = outcome;
    const run = touched.get(ref.runId) ?? (await tx.getRun(ref.runId));
    if (!run) continue;
    touched.set(run.id, run);
    logs.push(...outcome.logs);
    const written = await writeOutcome(tx, outcome, now);
    if (!written) {
      result.rejected.push(ref);
      await tx.appendEvents([
        event(run, "step.completion-rejected", now, ref.stepId, {
          epoch: ref.epoch,
          outcome: outcome.kind,
          reason: "the step's lease moved to another worker (stale epoch)",
        }),
      ]);
      continue;
    }
    // The completions' events go in before any successor's "started" event.
    await tx.appendEvents([outcomeEvent(run, outcome, now)]);
    const workflow = workflowOf(run);
    if (outcome.kind !== "succeeded" || !workflow) continue;
    const entry = succeeded.get(run.id) ?? { workflow, done: new Set<string>(), next: new Set<string>() };
    succeeded.set(run.id, entry);
    entry.done.add(ref.stepId);
    for (const next of workflow.successors.get(ref.stepId) ?? []) entry.next.add(next);
  }
  if (logs.length > 0) await tx.appendLogs(logs);
  return succeeded;
}

/**
 * Make ready (or claim, while the caller has room) the successors whose needs all succeeded.
 * Returns the runs a step was claimed for.
 */
async function readySuccessors(
  tx: StoreTx,
  succeeded: Successes,
  claimFor: { workerId: string; leaseMs: number; limit: number } | undefined,
  result: OutcomeResult,
  now: number,
): Promise<Set<string>> {
  const room = { left: claimFor?.limit ?? 0 };
  const claimedRuns = new Set<string>();
  for (const [runId, { workflow, done, next }] of succeeded) {
    const run = result.runs.get(runId)!;
    for (const stepId of next) {
      // A join whose parents finish in one batch is looked at once; a step whose needs all succeeded
      // in this batch (a chain's next step) needs no query to know it.
      const needs = workflow.steps.get(stepId)?.needs ?? [];
      if (!(await needsSucceeded(tx, run.id, needs, { known: done, complete: false }))) continue;
      const claimed = await readyOrClaim(tx, run, stepId, now, claimFor, room);
      if (claimed === "readied") result.readied = true;
      else if (claimed) {
        result.claimed.push(claimed);
        claimedRuns.add(run.id);
      }
    }
  }
  return claimedRuns;
}

/** Make a pending step ready, and claim it for the caller when it has room and may drive the run. */
async function readyOrClaim(
  tx: StoreTx,
  run: RunRecord,
  stepId: string,
  now: number,
  claimFor: { workerId: string; leaseMs: number } | undefined,
  room: { left: number },
): Promise<StepRecord | "readied" | null> {
  const mayClaim =
    claimFor &&
    room.left > 0 &&
    run.status === "running" &&
    (run.driverId === null || run.driverId === claimFor.workerId) &&
    !(run.failFast && (await tx.runActivity(run.id)).failed);
  if (mayClaim) {
    // Straight from pending to running: one write instead of "ready" and then "running".
    const claimed = await claimOne(tx, run, stepId, claimFor.workerId, now, claimFor.leaseMs, "pending");
    if (claimed) {
      room.left--;
      return claimed;
    }
  }
  return (await makeReady(tx, run.id, stepId, now)) ? "readied" : null;
}

/**
 * What a transaction knows of which steps of a run succeeded. `complete`: a step not in `known` did
 * not succeed (a resume has every step's status at hand); otherwise the store is asked.
 */
export interface KnownSuccesses {
  readonly known: { has(stepId: string): boolean };
  readonly complete: boolean;
}

/**
 * Successor readiness, the one rule: a pending step becomes ready once every step it needs has
 * succeeded. Used when steps complete (recordOutcomes) and when a run is resumed.
 */
export async function needsSucceeded(
  tx: StoreTx,
  runId: string,
  needs: readonly string[],
  successes: KnownSuccesses,
): Promise<boolean> {
  if (needs.every((n) => successes.known.has(n))) return true;
  return !successes.complete && (await tx.countUnsucceeded(runId, needs)) === 0;
}

/** Make a pending step ready now; false when it was no longer pending. */
export function makeReady(tx: StoreTx, runId: string, stepId: string, now: number): Promise<boolean> {
  return tx.updateStep({ runId, stepId }, { status: "ready", readyAt: now }, ["pending"]);
}

async function writeOutcome(tx: StoreTx, outcome: StepOutcome, now: number): Promise<boolean> {
  const lease = { leaseOwner: null, leaseExpiresAt: null, wait: null };
  switch (outcome.kind) {
    case "waiting":
      // Parked: ready again at the wake time (a signal's wait with no timeout: only when it comes).
      // A signal sent while the step was running is seen here (the run row is locked): due at once;
      // so is a child run that ended meanwhile (its row is locked too: engine/child-runs.ts).
      return tx.updateOwnedStep(outcome.ref, {
        ...lease,
        status: "ready",
        readyAt:
          (await signalPending(tx, outcome)) || (await childEnded(tx, outcome.wait!))
            ? now
            : wakeAt(outcome.wait!),
        wait: outcome.wait!,
        ...(outcome.attempts !== undefined ? { attempts: outcome.attempts } : {}),
      });
    case "succeeded":
      return tx.updateOwnedStep(outcome.ref, {
        ...lease,
        status: "succeeded",
        output: outcome.output ?? null,
        vars: outcome.vars ?? null,
        files: outcome.files ?? null,
        error: null,
        finishedAt: now,
        fingerprint: outcome.fingerprint,
      });
    case "failed":
      // Memos first: they are fenced on the lease, which the status change below gives up.
      for (const memo of outcome.memos ?? [])
        if (!(await tx.putMemo(outcome.ref, memo.key, memo.value))) return false;
      return tx.updateOwnedStep(outcome.ref, {
        ...lease,
        status: outcome.retryAt ? "ready" : "failed",
        readyAt: outcome.retryAt ?? null,
        error: outcome.error ?? { message: "failed" },
        finishedAt: now,
        fingerprint: outcome.fingerprint,
        ...(outcome.checkpoint !== undefined ? { checkpoint: outcome.checkpoint } : {}),
      });
    case "released":
      // Like an automatic recovery, by the owner itself: ready at once, no attempt consumed.
      return tx.updateOwnedStep(outcome.ref, {
        ...lease,
        status: "ready",
        readyAt: now,
        ...(outcome.release
          ? { attempts: outcome.release.attempts, recoveries: outcome.release.recoveries }
          : {}),
        provenance: { kind: "recovered", reason: "crash-recovery" },
        ...(outcome.checkpoint !== undefined ? { checkpoint: outcome.checkpoint } : {}),
      });
    case "cancelled":
      return tx.updateOwnedStep(outcome.ref, {
        ...lease,
        status: "cancelled",
        error: outcome.error ?? { message: "cancelled" },
        finishedAt: now,
        ...(outcome.checkpoint !== undefined ? { checkpoint: outcome.checkpoint } : {}),
      });
  }
}

/** A wait with no end is parked at the end of time: only a signal makes it claimable. */
const NEVER = 8_640_000_000_000_000;

async function signalPending(tx: StoreTx, outcome: StepOutcome): Promise<boolean> {
  const wait = outcome.wait!;
  return wait.kind === "signal" && (await tx.pendingSignal(outcome.ref.runId, wait.name)) !== undefined;
}

function wakeAt(wait: StepWait): number {
  return wait.until ?? NEVER;
}

function outcomeEvent(run: RunRecord, outcome: StepOutcome, now: number): NewEvent {
  const stepId = outcome.ref.stepId;
  if (outcome.kind === "waiting") return event(run, "step.waiting", now, stepId, outcome.wait ?? null);
  if (outcome.kind === "succeeded") return event(run, "step.succeeded", now, stepId);
  if (outcome.kind === "cancelled") return event(run, "step.cancelled", now, stepId);
  if (outcome.kind === "released")
    return event(run, "step.recovered", now, stepId, { reason: outcome.release?.reason ?? "" });
  const data = { error: outcome.error?.message ?? "failed", retryAt: outcome.retryAt ?? null };
  return event(run, outcome.retryAt ? "step.retrying" : "step.failed", now, stepId, data);
}

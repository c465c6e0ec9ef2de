import type { LogLine, RunRecord, StepRecord } from "../core/types.js";
import type { Store, StoreTx } from "../store/store.js";
import { expireRun, pastDeadline } from "./deadlines.js";
import type { InFlight } from "./in-flight.js";
import { describeThisProcess } from "./owner.js";
import type { AbortCause } from "./step-runner.js";

/** This worker as its row in the store records it. */
export interface WorkerIdentity {
  readonly id: string;
  readonly startedAt: number;
  readonly leaseMs: number;
}

/** Write this worker's row: its process, its last heartbeat (the store's clock) and whether it stopped. */
async function recordWorker(
  tx: StoreTx,
  worker: WorkerIdentity,
  heartbeatAt: number,
  stoppedAt: number | null,
): Promise<void> {
  await tx.upsertWorker({
    id: worker.id,
    ...describeThisProcess(),
    startedAt: worker.startedAt,
    heartbeatAt,
    leaseMs: worker.leaseMs,
    stoppedAt,
  });
}

/** What a heartbeat found: executions whose lease moved on, runs cancelled, runs past their deadline. */
export interface Renewal {
  readonly lost: readonly StepRecord[];
  readonly cancelled: ReadonlySet<string>;
  /** Failed here by the heartbeat (the run), or already by another process (null). */
  readonly expired: ReadonlyMap<string, RunRecord | null>;
}

export interface HeartbeatHost {
  readonly store: Store;
  readonly worker: WorkerIdentity;
  readonly clock: () => number;
  /** The executions in flight now. */
  inFlight(): Iterable<InFlight>;
  /** Acts on what a renewal found (abort, tell). */
  renewed(renewal: Renewal): void;
  error(error: unknown): void;
}

/**
 * Keeps this worker's row (started, beating, stopped) and the leases of its in-flight steps: extends
 * them; aborts those whose lease moved on or whose run was cancelled, and those whose lease ran out
 * without a renewal (the store was unreachable for a whole lease): another worker may be taking them
 * over, so their processes end now rather than overlap it. The log lines steps wrote since the last heartbeat are stored with it (under the same
 * fenced ownership check), so `cairn logs --follow` and `cairn run --follow-logs` see a long step's
 * output about once a second rather than only when it finishes.
 */
export class Heartbeat {
  /** Renewal transactions still under way, and whether the last one failed. */
  #pending = 0;
  #failed = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: HeartbeatHost) {}

  /** Record this worker as started, then beat every `heartbeatMs`. */
  async start(heartbeatMs: number): Promise<void> {
    await this.#touchWorker(null);
    this.#timer = setInterval(() => void this.beat(), heartbeatMs);
    this.#timer.unref();
  }

  /** Stop beating and record this worker as stopped at `stoppedAt`. */
  async stop(stoppedAt: number): Promise<void> {
    clearInterval(this.#timer);
    await this.#touchWorker(stoppedAt);
  }

  async #touchWorker(stoppedAt: number | null): Promise<void> {
    // The store's clock, like every heartbeat: other machines judge this worker against it.
    const { store, worker } = this.host;
    await store.transaction(async (tx) => recordWorker(tx, worker, await tx.now(), stoppedAt));
  }

  async beat(): Promise<void> {
    const startedAt = this.host.clock();
    // Only while renewals are failing or hanging: a process whose event loop was merely blocked past
    // the lease (a CPU-bound step) tries to renew first, and keeps its steps if nobody took them.
    if (this.#pending > 0 || this.#failed) this.#abortUnrenewed(startedAt);
    // One renewal at a time: renewals piled up behind an unreachable store would, once it answers,
    // keep the executions launched meanwhile waiting for theirs.
    if (this.#pending > 0) return;
    const inFlight = [...this.host.inFlight()];
    this.#pending++;
    const lines = inFlight.map((f) => f.logs?.splice(0) ?? []);
    try {
      const renewal = await this.host.store.transaction((tx) =>
        renewLeases(tx, this.host.worker, inFlight, lines),
      );
      for (const f of inFlight) f.leaseUntil = Math.max(f.leaseUntil, startedAt + this.host.worker.leaseMs);
      this.#failed = false;
      this.host.renewed(renewal);
    } catch (error) {
      this.#failed = true;
      // Not stored: give the lines back, ahead of any written since, for the next heartbeat or the completion.
      for (const [i, f] of inFlight.entries()) f.logs?.unshift(...lines[i]!);
      this.host.error(error);
    } finally {
      this.#pending--;
    }
  }

  #abortUnrenewed(now: number): void {
    for (const f of this.host.inFlight())
      if (f.leaseUntil <= now && !f.controller.signal.aborted)
        f.controller.abort("lease-expired" satisfies AbortCause);
  }
}

/** One heartbeat's transaction: the worker row, the runs' cancellations and deadlines, the leases and logs. */
async function renewLeases(
  tx: StoreTx,
  worker: WorkerIdentity,
  inFlight: readonly InFlight[],
  lines: readonly LogLine[][],
): Promise<Renewal> {
  const now = await tx.now();
  await recordWorker(tx, worker, now, null);
  const lost: StepRecord[] = [];
  const cancelled = new Set<string>();
  const expired = new Map<string, RunRecord | null>();
  // Runs first, in id order, then their steps: the order every transaction locks them in
  // (PostgreSQL locks a run row read in a write transaction), so a heartbeat never deadlocks.
  for (const runId of [...new Set(inFlight.map((f) => f.step.runId))].sort()) {
    const run = await tx.getRun(runId);
    if (run?.status === "cancelled") cancelled.add(runId);
    // Past its deadline: failed here, or already by another process (then only aborted here).
    else if (run && pastDeadline(run, now)) expired.set(runId, await expireRun(tx, runId));
  }
  for (const [i, { step }] of inFlight.entries()) {
    const ref = { runId: step.runId, stepId: step.stepId, epoch: step.leaseEpoch, owner: step.leaseOwner };
    if (!(await tx.updateOwnedStep(ref, { leaseExpiresAt: now + worker.leaseMs }))) lost.push(step);
    else if (lines[i]!.length > 0) await tx.appendLogs(lines[i]!);
  }
  return { lost, cancelled, expired };
}

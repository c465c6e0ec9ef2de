import { CairnError } from "../core/errors.js";
import { signalDataProblem } from "../core/signal-data.js";
import type { Json, RunStatus } from "../core/types.js";
import type { StoreTx } from "../store/store.js";
import { event } from "./run-events.js";

export interface SignalRequest {
  readonly runId: string;
  readonly name: string;
  readonly data: Json;
  /** A sender's idempotency key: a repeated send with the same key is accepted once. */
  readonly key?: string | null;
  /** Only runs of this tenant (the API's token); another tenant's run "does not exist". */
  readonly tenant?: string;
  /** Who sent it: "cli", "api", "library". */
  readonly by: string;
}

export interface SignalReceipt {
  /** false: a signal with this key was sent before; nothing was written. */
  readonly accepted: boolean;
  /** The step that waits for it (it is now due), or null when no step waits yet: it is kept. */
  readonly wokeStep: string | null;
  readonly runStatus: RunStatus;
}

/** A run that ended for good takes no signal; any other (even interrupted or paused) keeps it. */
const CLOSED: readonly RunStatus[] = ["succeeded"];
const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Send a signal to a run, in the caller's transaction: checked against the schema of the wait that
 * is parked on it (a bad payload throws INVALID_INPUT and nothing is written), kept for the wait
 * that takes it, and the parked step is made due at once. The run's row is read first, which on
 * PostgreSQL locks it: a step parking at the same moment (engine/transitions) either sees this
 * signal or is seen parked here, so no wake-up is lost.
 */
export async function sendSignal(tx: StoreTx, req: SignalRequest): Promise<SignalReceipt> {
  if (!NAME.test(req.name))
    throw new CairnError(
      "INVALID_INPUT",
      `A signal name is 1-128 letters, digits or _.:-, got "${req.name}".`,
    );
  const run = await tx.getRun(req.runId);
  if (!run || (req.tenant !== undefined && run.tenant !== req.tenant))
    throw new CairnError("NOT_FOUND", `Run "${req.runId}" does not exist.`);
  const key = req.key ?? null;
  if (CLOSED.includes(run.status)) {
    // A sender retrying a send that was accepted before the run ended hears "already sent", not a refusal.
    const sent =
      key !== null && (await tx.listSignals(run.id)).some((s) => s.name === req.name && s.key === key);
    if (sent) return { accepted: false, wokeStep: null, runStatus: run.status };
    throw new CairnError("CONFLICT", `Run "${run.id}" is ${run.status}; it takes no more signals.`, {
      details: { status: run.status },
    });
  }
  const steps = await tx.getSteps(run.id, undefined, { outputs: false });
  const waiting = steps.find(
    (s) => s.status === "ready" && s.wait?.kind === "signal" && s.wait.name === req.name,
  );
  const wait = waiting?.wait?.kind === "signal" ? waiting.wait : null;
  if (wait?.schema !== undefined) {
    const problem = signalDataProblem(wait.schema, req.data);
    if (problem)
      throw new CairnError(
        "INVALID_INPUT",
        `Signal "${req.name}" does not fit the schema of step "${waiting!.stepId}": ${problem}.`,
      );
  }
  const now = await tx.now();
  const accepted = await tx.insertSignal({ runId: run.id, name: req.name, key, data: req.data, sentAt: now });
  if (!accepted) return { accepted, wokeStep: null, runStatus: run.status };
  await tx.appendEvents([event(run, "run.signalled", now, null, { name: req.name, key, by: req.by })]);
  if (waiting)
    await tx.updateStep({ runId: run.id, stepId: waiting.stepId }, { status: "ready", readyAt: now }, [
      "ready",
    ]);
  return { accepted, wokeStep: waiting?.stepId ?? null, runStatus: run.status };
}

import type { Cairn } from "../cairn.js";
import { parkedWait, runWaiting } from "../core/step-wait.js";
import type { RunRecord } from "../core/types.js";

/** A step parked on a signal: in the run followed, or in a child run one of its steps waits for. */
export interface SignalWait {
  runId: string;
  stepId: string;
  name: string;
  until: number | null;
}

/**
 * The signal waits a running run has nothing left to do but wait for: its own, and (recursively)
 * those of the child runs its parked steps wait for. null while anything is left to do — a step
 * running or ready in it or in one of those children, a child not running (its end is about to
 * wake its caller), or no signal wait at all (only sleeps, which end by themselves).
 */
export async function signalWaits(
  cairn: Cairn,
  runId: string,
): Promise<{ run: RunRecord; waits: SignalWait[] } | null> {
  const waits: SignalWait[] = [];
  const run = await collect(cairn, runId, waits, new Set());
  return run && waits.length > 0 ? { run, waits } : null;
}

async function collect(
  cairn: Cairn,
  runId: string,
  waits: SignalWait[],
  seen: Set<string>,
): Promise<RunRecord | null> {
  if (seen.has(runId)) return null;
  seen.add(runId);
  const view = await cairn.get(runId);
  if (view?.run.status !== "running" || runWaiting(view.steps) === null) return null;
  for (const step of view.steps) {
    const wait = parkedWait(step);
    if (wait?.kind === "signal")
      waits.push({ runId, stepId: step.stepId, name: wait.name, until: wait.until });
    if (wait?.kind === "child" && !(await collect(cairn, wait.runId, waits, seen))) return null;
  }
  return view.run;
}

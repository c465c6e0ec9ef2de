import { CairnError } from "../core/errors.js";
import type { RunRecord } from "../core/types.js";
import type { ClientState } from "./client-state.js";
import type { RunView } from "./run-view.js";

/** Wait until a run is no longer running, without polling faster than `pollIntervalMs`. */
export async function waitForRun(
  state: ClientState,
  runId: string,
  view: (runId: string) => Promise<RunView | undefined>,
): Promise<RunRecord> {
  for (;;) {
    const done = await settled(state, runId, view);
    if (done) {
      // Read from a commit that may still be on its way to the disk: reported once it is there.
      await state.store.flushed();
      return done;
    }
    await state.wakeUps.next(runId);
  }
}

/**
 * The run once nothing of it is running any more (shown as interrupted when its owner died), or
 * null. Cheap while this process drives the run: reading every step on each wake-up made waiting
 * on a 100,000-step run quadratic.
 */
async function settled(
  { store, worker }: ClientState,
  runId: string,
  view: (runId: string) => Promise<RunView | undefined>,
): Promise<RunRecord | null> {
  const run = await store.getRun(runId);
  if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  if (run.status === "running" && worker && run.driverId === worker.workerId && worker.executing())
    return null;
  if (run.status !== "running") {
    const { running } = await store.read((tx) => tx.runActivity(runId));
    return running ? null : run;
  }
  const seen = await view(runId);
  if (!seen) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  return seen.run.status !== "running" ? seen.run : null;
}

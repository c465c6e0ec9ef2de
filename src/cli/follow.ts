import type { Cairn } from "../cairn.js";
import type { RunRecord } from "../core/types.js";
import { EXIT } from "./common.js";
import { latestResume, ProgressPrinter } from "./progress.js";
import { signalWaits } from "./signal-waits.js";

/**
 * Wait for a run to settle, printing its progress as it happens (unless `quiet`); after a resume
 * (`latestAttempt`), only what this attempt does.
 * Ctrl-C stops this process: in-flight steps are cancelled and the run is left interrupted, ready
 * for `cairn resume`.
 */
export async function follow(
  cairn: Cairn,
  runId: string,
  options: {
    quiet: boolean;
    progress?: ProgressPrinter;
    latestAttempt?: boolean;
    afterSeq?: number;
    stopAtSignalWait?: boolean;
  },
): Promise<RunRecord> {
  let seq = options.afterSeq ?? 0;
  const progress = options.progress ?? new ProgressPrinter({ logs: false, live: false });
  if (options.latestAttempt) {
    const resumed = latestResume(await cairn.events(runId));
    seq = resumed ? resumed.seq : 0;
    progress.logsSince = resumed?.at ?? 0;
  }
  let settled: RunRecord | undefined;
  let parked = false;
  let parkedOnChild = false;
  const done = cairn.wait(runId).then((run) => {
    settled = run;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(
      `\nStopping: in-flight steps are cancelled; the run is left interrupted, to continue with \`cairn resume ${runId}\`.\n`,
    );
    const reason = `stopped by ${signal === "SIGINT" ? "Ctrl-C (SIGINT)" : signal} of the cairn process driving it`;
    void cairn.close({ abort: true, reason }).finally(() => process.exit(EXIT.interrupted));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (;;) {
      const finished = settled !== undefined;
      const events = await cairn.events(runId, seq);
      for (const event of events) {
        seq = event.seq;
        if (!options.quiet) progress.event(event);
        const kind = (event.data as { kind?: string } | null)?.kind;
        if (event.type === "step.waiting" && kind === "signal") parked = true;
        if (event.type === "step.waiting" && kind === "child") parkedOnChild = true;
      }
      if (!options.quiet && progress.options.logs) progress.logs(await cairn.logs(runId));
      if (finished) {
        progress.end();
        return settled!;
      }
      // Nothing left to do but wait for a signal, here or in a child run a step waits for: return
      // the running run (the caller says how to send it). Checked after any event once a step
      // waited for a signal, and on every tick once one waited for a child run (whose own events
      // are not followed here).
      if (options.stopAtSignalWait && ((parked && events.length > 0) || parkedOnChild)) {
        const waiting = await signalWaits(cairn, runId);
        if (waiting) {
          progress.end();
          return waiting.run;
        }
      }
      if (!options.quiet) progress.tick();
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** 0 succeeded, 4 cancelled, 5 paused (both resumable), 1 anything else (failed, interrupted). */
export function exitForRun(run: RunRecord): number {
  if (run.status === "succeeded") return EXIT.ok;
  if (run.status === "cancelled") return EXIT.cancelled;
  if (run.status === "paused") return EXIT.paused;
  return EXIT.failed;
}

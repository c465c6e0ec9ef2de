import { parkedWait, runWaiting } from "../core/step-wait.js";
import type { RunRecord } from "../core/types.js";
import type { Cairn } from "../engine/cairn.js";
import { EXIT } from "./common.js";
import { progressLine } from "./format.js";

/**
 * Wait for a run to settle, printing one line per step event as it happens (unless `quiet`).
 * Ctrl-C stops this process: in-flight steps are cancelled and the run is left interrupted, ready
 * for `cairn resume`.
 */
export async function follow(
  cairn: Cairn,
  runId: string,
  options: { quiet: boolean; afterSeq?: number; stopAtSignalWait?: boolean },
): Promise<RunRecord> {
  let seq = options.afterSeq ?? 0;
  const startedAt = new Map<string, number>();
  let settled: RunRecord | undefined;
  const done = cairn.wait(runId).then((run) => {
    settled = run;
  });
  const onSignal = () => {
    process.stderr.write(
      "\nStopping: in-flight steps are cancelled; the run can be resumed with `cairn resume`.\n",
    );
    void cairn.close({ abort: true }).finally(() => process.exit(EXIT.interrupted));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    for (;;) {
      const finished = settled !== undefined;
      const events = await cairn.events(runId, seq);
      let signalWait = false;
      for (const event of events) {
        seq = event.seq;
        const line = options.quiet ? null : progressLine(event, startedAt);
        if (line) process.stdout.write(`${line}\n`);
        if (event.type === "step.waiting" && (event.data as { kind?: string } | null)?.kind === "signal")
          signalWait = true;
      }
      if (finished) return settled!;
      // Nothing left to do but wait for a signal: return the running run (the caller says how to send it).
      if (signalWait && options.stopAtSignalWait) {
        const waiting = await waitingForSignal(cairn, runId);
        if (waiting) return waiting;
      }
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function waitingForSignal(cairn: Cairn, runId: string): Promise<RunRecord | null> {
  const view = await cairn.get(runId);
  if (view?.run.status !== "running" || runWaiting(view.steps) === null) return null;
  return view.steps.some((s) => parkedWait(s)?.kind === "signal") ? view.run : null;
}

export function exitForRun(run: RunRecord): number {
  return run.status === "succeeded" ? EXIT.ok : EXIT.failed;
}

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
  options: { quiet: boolean; afterSeq?: number },
): Promise<RunRecord> {
  let seq = options.afterSeq ?? 0;
  const startedAt = new Map<string, number>();
  let settled: RunRecord | undefined;
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
        const line = options.quiet ? null : progressLine(event, startedAt);
        if (line) process.stdout.write(`${line}\n`);
      }
      if (finished) return settled!;
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

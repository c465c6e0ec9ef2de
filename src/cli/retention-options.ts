import type { Command } from "commander";
import type { Cairn } from "../cairn.js";
import { FINISHED_RUN_STATUSES } from "../core/types.js";
import { parseAge, type RetentionRules } from "../engine/retention.js";
import { humanBytes } from "./bytes.js";
import { rulesFromFlags } from "./gc-command.js";

/** The `--gc-*` flags of `serve` and `worker`: `cairn gc`'s rules, applied periodically. */
export interface RetentionOptionFlags {
  gcOlderThan?: string;
  gcStatus?: string;
  gcWorkflow?: string;
  gcKeepLast?: string;
  gcEvery: string;
}

export function addRetentionOptions(command: Command): Command {
  return command
    .option("--gc-older-than <age>", 'retention: delete finished runs this old ("30d"), periodically')
    .option("--gc-keep-last <n>", "retention: spare the newest N runs of each workflow")
    .option("--gc-status <list>", `retention: only these statuses (${FINISHED_RUN_STATUSES.join(",")})`)
    .option("--gc-workflow <id>", "retention: only runs of this workflow")
    .option("--gc-every <age>", "retention: how often the rules are applied", "1h");
}

/** The rules from the flags (checked before anything starts), or null when retention is off. */
export function retentionRules(
  flags: RetentionOptionFlags,
): { rules: RetentionRules; everyMs: number } | null {
  const rules = rulesFromFlags(
    {
      ...(flags.gcOlderThan !== undefined ? { olderThan: flags.gcOlderThan } : {}),
      ...(flags.gcStatus !== undefined ? { status: flags.gcStatus } : {}),
      ...(flags.gcWorkflow !== undefined ? { workflow: flags.gcWorkflow } : {}),
      ...(flags.gcKeepLast !== undefined ? { keepLast: flags.gcKeepLast } : {}),
    },
    "--gc-",
  );
  const everyMs = parseAge(flags.gcEvery, "--gc-every");
  return rules ? { rules, everyMs } : null;
}

/** Start periodic retention; each pass that deleted something, and each that failed, is logged. */
export function startRetentionFromFlags(
  cairn: Cairn,
  retention: { rules: RetentionRules; everyMs: number } | null,
): { stop(): Promise<void> } {
  if (!retention) return { stop: async () => undefined };
  const { logger } = cairn;
  return cairn.startRetention(retention.rules, {
    intervalMs: retention.everyMs,
    onError: (error) =>
      logger.error(
        { err: error },
        `retention failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
    onReport: (report) => {
      if (report.runs.length > 0 || report.finishedRemovals > 0)
        logger.info(
          { runs: report.runs.length, bytes: report.bytes },
          `retention deleted ${report.runs.length} run${report.runs.length === 1 ? "" : "s"} (${humanBytes(report.bytes)} of run directories)`,
        );
    },
  });
}

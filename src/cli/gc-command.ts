import type { Command } from "commander";
import { CairnError } from "../core/errors.js";
import { FINISHED_RUN_STATUSES, type RunStatus } from "../core/types.js";
import { type GcRun, parseAge, type RetentionRules } from "../engine/retention.js";
import { humanBytes } from "./bytes.js";
import { EXIT, positiveInt, printJson, type Runner } from "./common.js";

/** The retention flags `gc` takes, and `serve`/`worker` take with a `--gc-` prefix. */
export interface RetentionFlags {
  olderThan?: string;
  status?: string;
  workflow?: string;
  keepLast?: string;
}

/** Rules from flags; null when no rule was given (nothing is selected then). */
export function rulesFromFlags(flags: RetentionFlags, prefix = "--"): RetentionRules | null {
  const rules: {
    olderThanMs?: number;
    statuses?: RunStatus[];
    workflowId?: string;
    keepLast?: number;
  } = {};
  if (flags.olderThan !== undefined) rules.olderThanMs = parseAge(flags.olderThan, `${prefix}older-than`);
  if (flags.status !== undefined) {
    const statuses = flags.status.split(",").map((s) => s.trim());
    const bad = statuses.filter((s) => !FINISHED_RUN_STATUSES.includes(s as RunStatus));
    if (bad.length > 0)
      throw new CairnError(
        "USAGE",
        `${prefix}status takes finished statuses (${FINISHED_RUN_STATUSES.join(", ")}), got "${bad.join(", ")}".`,
      );
    rules.statuses = statuses as RunStatus[];
  }
  if (flags.workflow !== undefined) rules.workflowId = flags.workflow;
  if (flags.keepLast !== undefined) {
    const n = Number(flags.keepLast);
    if (!Number.isInteger(n) || n < 0)
      throw new CairnError("USAGE", `${prefix}keep-last must be a whole number, got "${flags.keepLast}".`);
    rules.keepLast = n;
  }
  return Object.keys(rules).length === 0 ? null : rules;
}

export function registerGcCommand(program: Command, runner: Runner): void {
  program
    .command("gc")
    .description(
      "delete finished runs (their rows and directories) by age, status, workflow, or keeping the last N",
    )
    .option("--older-than <age>", 'runs that finished at least this long ago: "30d", "12h", "2w"')
    .option(
      "--status <list>",
      `only these finished statuses, comma-separated: ${FINISHED_RUN_STATUSES.join(",")}`,
    )
    .option("--workflow <id>", "only runs of this workflow")
    .option("--keep-last <n>", "spare the newest N runs of each workflow")
    .option("--dry-run", "list what would be deleted and the space it would free; delete nothing")
    .option("--max-runs <n>", "at most this many runs in one call", "1000")
    .action(async (opts: RetentionFlags & { dryRun?: boolean; maxRuns: string }, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          const report = await cairn.collectGarbage(gcRules(opts), {
            dryRun: opts.dryRun === true,
            maxRuns: positiveInt(opts.maxRuns, "--max-runs"),
            ...(global.json
              ? {}
              : { onDeleted: (run: GcRun) => process.stdout.write(`deleted ${runText(run)}\n`) }),
          });
          if (global.json) {
            printJson(report);
            return EXIT.ok;
          }
          if (report.dryRun)
            for (const run of report.runs) process.stdout.write(`would delete ${runText(run)}\n`);
          const n = `${report.runs.length} run${report.runs.length === 1 ? "" : "s"}`;
          process.stdout.write(
            report.dryRun
              ? `${n} would be deleted, freeing ${humanBytes(report.bytes)} of run directories.\n`
              : `Deleted ${n}, freed ${humanBytes(report.bytes)} of run directories.\n`,
          );
          if (report.more) process.stdout.write("More runs match: run gc again.\n");
          return EXIT.ok;
        },
        {
          execute: false,
          // Checked before the store opens: a bare `cairn gc` must not delete every finished run.
          prepare: async () => void gcRules(opts),
        },
      ),
    );
}

function gcRules(opts: RetentionFlags): RetentionRules {
  const rules = rulesFromFlags(opts);
  if (!rules)
    throw new CairnError(
      "USAGE",
      "Say which runs to delete: --older-than, --keep-last, --status and/or --workflow (add --dry-run to see them first).",
    );
  return rules;
}

function runText(run: GcRun): string {
  const at = run.finishedAt === null ? "-" : new Date(run.finishedAt).toISOString();
  return `${run.id}  ${run.workflowId}  ${run.status}  ${at}  ${humanBytes(run.bytes)}`;
}

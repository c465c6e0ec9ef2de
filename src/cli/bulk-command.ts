import type { Command } from "commander";
import type { Cairn } from "../cairn.js";
import { CairnError } from "../core/errors.js";
import type { ResumeOptions } from "../core/resume-plan.js";
import { parseTimestamp, TIMESTAMP_FORMS } from "../core/timestamp.js";
import { RUN_STATUSES, type RunStatus } from "../core/types.js";
import {
  type BulkAction,
  type BulkFilter,
  type BulkReport,
  bulkAction,
  MAX_BULK_RUNS,
} from "../engine/bulk.js";
import { EXIT, type GlobalOptions, positiveInt, printJson } from "./common.js";

/** `--all` and the selection flags that `resume`, `restart`, `rerun` and `cancel` take for bulk recovery. */
export interface BulkFlags {
  all?: boolean;
  status?: string;
  workflow?: string;
  createdAfter?: string;
  createdBefore?: string;
  error?: string;
  limit?: string;
}

export function addBulkOptions(command: Command): Command {
  return command
    .option("--all", "act on every run the selection flags choose (one combined plan with --dry-run)")
    .option("--status <status>", `with --all: runs in this status (${RUN_STATUSES.join("|")})`)
    .option("--workflow <id>", "with --all: runs of this workflow")
    .option("--created-after <time>", "with --all: runs created at or after this ISO time")
    .option("--created-before <time>", "with --all: runs created before this ISO time")
    .option("--error <text>", "with --all: runs whose error contains this text")
    .option(
      "--limit <n>",
      `with --all: at most this many runs per call (default 100, at most ${MAX_BULK_RUNS})`,
    );
}

/** The selection; one clear sentence when a flag is wrong or nothing was chosen. */
function filterFrom(flags: BulkFlags): BulkFilter {
  if (flags.status !== undefined && !RUN_STATUSES.includes(flags.status as RunStatus))
    throw new CairnError(
      "USAGE",
      `--status must be one of ${RUN_STATUSES.join(", ")}, got "${flags.status}".`,
    );
  const time = (value: string | undefined, flag: string) => {
    if (value === undefined) return undefined;
    const ms = parseTimestamp(value);
    if (ms === null)
      throw new CairnError("USAGE", `${flag} must be a time like ${TIMESTAMP_FORMS}, got "${value}".`);
    return ms;
  };
  const filter: BulkFilter = {
    ...(flags.status !== undefined ? { status: flags.status as RunStatus } : {}),
    ...(flags.workflow !== undefined ? { workflowId: flags.workflow } : {}),
    ...(flags.createdAfter !== undefined
      ? { createdAfter: time(flags.createdAfter, "--created-after")! }
      : {}),
    ...(flags.createdBefore !== undefined
      ? { createdBefore: time(flags.createdBefore, "--created-before")! }
      : {}),
    ...(flags.error !== undefined ? { errorContains: flags.error } : {}),
  };
  if (
    filter.createdAfter !== undefined &&
    filter.createdBefore !== undefined &&
    filter.createdAfter >= filter.createdBefore
  )
    throw new CairnError("USAGE", "--created-after must be earlier than --created-before.");
  if (Object.keys(filter).length === 0)
    throw new CairnError(
      "USAGE",
      "--all needs a selection: --status, --workflow, --created-after/--created-before or --error.",
    );
  return filter;
}

/** Checks that need no store, so a typo creates nothing. */
export function checkBulkFlags(runId: string | undefined, flags: BulkFlags): void {
  if (flags.all && runId !== undefined) throw new CairnError("USAGE", "Give a run id or --all, not both.");
  if (!flags.all && runId === undefined)
    throw new CairnError("USAGE", "Give a run id, or --all with a selection.");
  if (flags.all) filterFrom(flags);
}

/** Run one bulk action from the CLI; executed runs are followed until they settle (unless detached). */
export async function runBulk(
  cairn: Cairn,
  global: GlobalOptions,
  action: BulkAction,
  flags: BulkFlags & { dryRun?: boolean; detach?: boolean },
  resume?: ResumeOptions,
): Promise<number> {
  const report = await bulkAction(cairn, {
    action,
    filter: filterFrom(flags),
    dryRun: flags.dryRun === true,
    ...(flags.limit !== undefined ? { limit: positiveInt(flags.limit, "--limit") } : {}),
    ...(resume ? { resume } : {}),
    detach: flags.detach === true,
  });
  const settled = new Map<string, RunStatus>();
  if (!report.dryRun && !flags.detach && action !== "cancel")
    await Promise.all(
      (report.results ?? [])
        .filter((r) => r.ok)
        .map(async (r) => {
          const id = r.newRunId ?? r.runId;
          settled.set(id, (await cairn.wait(id)).status);
        }),
    );
  if (global.json) printJson({ ...report, settled: Object.fromEntries(settled) });
  else process.stdout.write(reportText(report, settled));
  const refused = report.dryRun ? report.totals.refused : (report.results ?? []).filter((r) => !r.ok).length;
  return refused > 0 ? EXIT.refused : EXIT.ok;
}

function reportText(report: BulkReport, settled: ReadonlyMap<string, RunStatus>): string {
  const lines: string[] = [];
  const results = new Map((report.results ?? []).map((r) => [r.runId, r]));
  for (const plan of report.runs) {
    const steps = Object.entries(plan.steps)
      .map(([a, n]) => `${n} ${a}`)
      .join(", ");
    const result = results.get(plan.runId);
    const outcome = report.dryRun
      ? plan.refusal
        ? `refused: ${plan.refusal}`
        : steps || "nothing to do"
      : result?.ok
        ? `${result.newRunId ? `→ ${result.newRunId} ` : ""}${settled.get(result.newRunId ?? plan.runId) ?? result.status}`
        : `refused: ${result?.error?.message ?? plan.refusal}`;
    lines.push(`${plan.runId}  ${plan.workflowId}  ${plan.status}  ${outcome}`);
  }
  const t = report.totals;
  lines.push(
    `${report.dryRun ? "plan" : report.action}: ${t.runs} run${t.runs === 1 ? "" : "s"}, ${t.refused} refused; ${t.execute} step${t.execute === 1 ? "" : "s"} ${report.dryRun ? "would execute" : "to execute"}, ${t.keep} kept.`,
  );
  if (report.more) lines.push("More runs match: run the command again.");
  return `${lines.join("\n")}\n`;
}

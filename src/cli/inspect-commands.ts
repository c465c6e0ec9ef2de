import type { Command } from "commander";
import type { Cairn } from "../cairn.js";
import { CairnError } from "../core/errors.js";
import { parseTimestamp, TIMESTAMP_FORMS } from "../core/timestamp.js";
import {
  ITEM_STATUSES,
  type ItemStatus,
  type LogLine,
  RUN_STATUSES,
  type RunStatus,
  type StepRecord,
} from "../core/types.js";
import { itemLogLines } from "../engine/item-lookup.js";
import { declaredFiles } from "../engine/run-files.js";
import type { RunFilter } from "../store/store.js";
import { EXIT, type GlobalOptions, positiveInt, printJson, type Runner } from "./common.js";
import { followLogs } from "./follow-logs.js";
import { historyText, runJson, runTable, showRun } from "./format.js";
import { itemTable } from "./items-text.js";

export function registerInspectCommands(program: Command, runner: Runner): void {
  program
    .command("ls")
    .description("list runs, newest first")
    .option("--status <statuses>", `only runs in these statuses, comma-separated: ${RUN_STATUSES.join("|")}`)
    .option("--workflow <id>", "only runs of this workflow")
    .option("--id-prefix <text>", "only runs whose id starts with this (case-sensitive)")
    .option("--created-after <time>", "only runs started at or after this time (2026-05-01 is midnight UTC)")
    .option(
      "--created-before <time>",
      "only runs started before this time (2026-05-01T08:00:00Z, or an offset)",
    )
    .option("--limit <n>", "at most this many runs", "50")
    .action(async (opts, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          const { runs } = await cairn.listShown({
            ...listFilter(opts),
            limit: positiveInt(opts.limit, "--limit"),
          });
          if (global.json) printJson(runs);
          else process.stdout.write(runs.length ? `${runTable(runs)}\n` : "No runs.\n");
          return EXIT.ok;
        },
        { execute: false },
      ),
    );

  program
    .command("show")
    .description("a run and every step: status, attempts, duration, provenance, output, first error line")
    .argument("<runId>")
    .option("--step <id>", "a map step's recorded items instead: key, status, attempts, output or error")
    .option("--status <status>", `with --step: only items in this status: ${ITEM_STATUSES.join("|")}`)
    .option("--limit <n>", "with --step: at most this many items", "100")
    .action(async (runId: string, opts, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          const view = await cairn.get(runId);
          if (!view) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
          if (opts.step !== undefined) return showItems(cairn, global, runId, view.steps, opts);
          if (opts.status !== undefined) throw new CairnError("USAGE", "--status needs --step <map step>.");
          if (global.json)
            printJson({
              ...runJson(view, await declaredFiles(view.run, view.steps)),
              history: await cairn.history(runId),
            });
          else {
            const parent = view.run.parentRunId;
            const deleted = parent ? await cairn.deletedRuns([parent]) : [];
            const items = await cairn.mapItems(runId);
            const childRuns = await cairn.runsCalledBy(runId);
            process.stdout.write(
              `${showRun(view, { parentDeleted: deleted.length > 0, items, childRuns })}\n`,
            );
          }
          return EXIT.ok;
        },
        { execute: false },
      ),
    );

  program
    .command("logs")
    .description("the stored log lines of a run's steps")
    .argument("<runId>")
    .option("--step <id>", "only this step")
    .option("--item <key>", "with --step <map step>: only the lines about this item")
    .option(
      "--follow",
      "keep printing new lines until the run stops running (--json: one JSON object per line)",
    )
    .action(async (runId: string, opts, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          if (!(await cairn.run(runId))) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
          if (opts.step !== undefined) {
            const steps = (await cairn.steps(runId)).map((s) => s.stepId);
            if (!steps.includes(opts.step))
              throw new CairnError(
                "NOT_FOUND",
                `Run "${runId}" has no step "${opts.step}" (its steps: ${steps.join(", ")}).`,
              );
          }
          if (opts.item !== undefined && opts.step === undefined)
            throw new CairnError("USAGE", "--item needs --step <map step>.");
          const shown = (l: LogLine) => (opts.item === undefined ? [l] : itemLogLines([l], opts.item));
          const write = (l: LogLine) =>
            process.stdout.write(
              global.json
                ? `${JSON.stringify(l)}\n`
                : `${opts.step ? "" : `[${l.stepId}#${l.attempt}] `}${l.stream === "stderr" ? "! " : ""}${l.line}\n`,
            );
          const print = (l: LogLine) => shown(l).forEach(write);
          if (opts.follow) await followLogs(cairn, runId, opts.step, print);
          else {
            const lines = (await cairn.logs(runId, opts.step)).flatMap(shown);
            if (global.json) printJson(lines);
            else lines.forEach(write);
          }
          return EXIT.ok;
        },
        { execute: false },
      ),
    );

  program
    .command("history")
    .description("every start and resume of a run (or of a workflow's runs): when, who, strategy, outcome")
    .argument("[runId]")
    .option("--workflow <id>", "every start and resume of this workflow's runs, newest first")
    .option("--limit <n>", "with --workflow: at most this many", "50")
    .option("--cursor <cursor>", "with --workflow: the next page (printed after a full page)")
    .action(async (runId: string | undefined, opts, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          if (opts.workflow !== undefined) return printWorkflowHistory(cairn, global, opts);
          if (runId === undefined) throw new CairnError("USAGE", "Give a run id, or --workflow ID.");
          if (!(await cairn.run(runId))) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
          const attempts = await cairn.history(runId);
          if (global.json) printJson(attempts);
          else process.stdout.write(`${historyText(attempts)}\n`);
          return EXIT.ok;
        },
        { execute: false },
      ),
    );
}

async function printWorkflowHistory(
  cairn: Cairn,
  global: GlobalOptions,
  opts: { workflow: string; limit: string; cursor?: string },
): Promise<number> {
  if (!(await cairn.workflow(opts.workflow)))
    throw new CairnError("NOT_FOUND", `Workflow "${opts.workflow}" is not registered.`);
  const page = await cairn.workflowHistory({
    workflowId: opts.workflow,
    limit: positiveInt(opts.limit, "--limit"),
    ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
  });
  if (global.json) printJson(page);
  else {
    const lines = page.attempts.map((a) => `${a.runId}  ${historyText([a])}`);
    if (page.nextCursor) lines.push(`more: --cursor ${page.nextCursor}`);
    process.stdout.write(lines.length ? `${lines.join("\n")}\n` : "No runs.\n");
  }
  return EXIT.ok;
}

/** `show <run> --step <map>`: a page of the step's recorded items, in item order. */
async function showItems(
  cairn: Cairn,
  global: GlobalOptions,
  runId: string,
  steps: readonly StepRecord[],
  opts: { step: string; status?: string; limit: string },
): Promise<number> {
  if (!steps.some((s) => s.stepId === opts.step))
    throw new CairnError(
      "NOT_FOUND",
      `Run "${runId}" has no step "${opts.step}" (its steps: ${steps.map((s) => s.stepId).join(", ")}).`,
    );
  if (opts.status !== undefined && !ITEM_STATUSES.includes(opts.status as ItemStatus))
    throw new CairnError(
      "USAGE",
      `--status with --step must be one of ${ITEM_STATUSES.join(", ")}, got "${opts.status}".`,
    );
  const limit = positiveInt(opts.limit, "--limit");
  const [items, summaries] = await Promise.all([
    cairn.items(runId, opts.step, {
      limit: limit + 1,
      ...(opts.status !== undefined ? { status: opts.status as ItemStatus } : {}),
    }),
    cairn.mapItems(runId),
  ]);
  const counts = summaries.find((s) => s.stepId === opts.step)?.counts ?? { succeeded: 0, failed: 0 };
  if (global.json) printJson({ stepId: opts.step, counts, items: items.slice(0, limit) });
  else process.stdout.write(`${itemTable(opts.step, items.slice(0, limit), counts, items.length > limit)}\n`);
  return EXIT.ok;
}

/** The filter of `cairn ls`; one clear sentence for a flag it cannot take. */
function listFilter(opts: Record<string, string | undefined>): RunFilter {
  const statuses = opts.status?.split(",");
  for (const status of statuses ?? [])
    if (!RUN_STATUSES.includes(status as RunStatus))
      throw new CairnError(
        "USAGE",
        `--status must be one of ${RUN_STATUSES.join(", ")} (comma-separated for several), got "${status}".`,
      );
  if (opts.idPrefix !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(opts.idPrefix))
    throw new CairnError(
      "USAGE",
      '--id-prefix takes the start of a run id: letters, digits, "_", "." and "-".',
    );
  const time = (flag: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    const ms = parseTimestamp(text);
    if (ms === null)
      throw new CairnError("USAGE", `${flag} takes a time like ${TIMESTAMP_FORMS}, got "${text}".`);
    return ms;
  };
  const createdAfter = time("--created-after", opts.createdAfter);
  const createdBefore = time("--created-before", opts.createdBefore);
  if (createdAfter !== undefined && createdBefore !== undefined && createdAfter >= createdBefore)
    throw new CairnError("USAGE", "--created-after must be earlier than --created-before.");
  return {
    ...(statuses ? { statuses: statuses as RunStatus[] } : {}),
    ...(opts.workflow ? { workflowId: opts.workflow } : {}),
    ...(opts.idPrefix !== undefined ? { idPrefix: opts.idPrefix } : {}),
    ...(createdAfter !== undefined ? { createdAfter } : {}),
    ...(createdBefore !== undefined ? { createdBefore } : {}),
  };
}

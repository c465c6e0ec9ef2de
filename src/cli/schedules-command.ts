import type { Command } from "commander";
import { describeTiming } from "../core/schedule.js";
import type { ScheduleView } from "../engine/schedules.js";
import { EXIT, printJson, type Runner } from "./common.js";

/**
 * `cairn schedules`: the schedules recorded by the processes that registered their workflows (a
 * worker or `serve`), with their next tick; `pause` and `resume` one, or all of a workflow's.
 */
export function registerSchedulesCommand(program: Command, runner: Runner): void {
  const schedules = program
    .command("schedules")
    .description("list schedules with their next tick; pause or resume them")
    .option("--workflow <id>", "only this workflow's schedules")
    .addHelpText(
      "after",
      "\nSchedules are declared in a workflow (schedules: in YAML) and recorded when a process registers it\n(a worker, serve, run); `cairn worker` and `cairn serve` start one run per tick.",
    )
    .action(async (opts: { workflow?: string }, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          const list = await cairn.schedules(opts.workflow ? { workflowId: opts.workflow } : {});
          if (global.json) printJson(list);
          else process.stdout.write(list.length === 0 ? "no schedules\n" : `${table(list)}\n`);
          return EXIT.ok;
        },
        { execute: false },
      ),
    );
  for (const [action, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const)
    schedules
      .command(action)
      .description(
        paused
          ? "pause a workflow's schedule (all of them without a name): no run starts at its ticks"
          : "resume a paused schedule: runs start again from its next tick; the ticks of the pause start nothing",
      )
      .argument("<workflow>", "the workflow's id")
      .argument("[name]", "the schedule's name (default: every schedule of the workflow)")
      .action(async (workflowId: string, name: string | undefined, _opts, command: Command) =>
        runner(
          command,
          async (cairn, global) => {
            const changed = paused
              ? await cairn.pauseSchedule(workflowId, name)
              : await cairn.resumeSchedule(workflowId, name);
            if (global.json) printJson(changed);
            else process.stdout.write(`${table(changed)}\n`);
            return EXIT.ok;
          },
          { execute: false },
        ),
      );
}

function table(list: readonly ScheduleView[]): string {
  const rows = list.map((s) => [
    `${s.workflowId}/${s.name}`,
    describeTiming(s),
    s.paused ? "paused" : s.nextTick === null ? "-" : `next ${new Date(s.nextTick).toISOString()}`,
    `missed: ${s.missed}`,
    s.lastRunId ? `last run ${s.lastRunId}` : "",
  ]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

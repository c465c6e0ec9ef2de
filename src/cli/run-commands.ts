import type { Command } from "commander";
import type { Cairn } from "../cairn.js";
import type { WorkflowDefinition } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { type LinkedRun, ON_CHANGE } from "../core/resume-plan.js";
import type { Json } from "../core/types.js";
import type { RunHandle } from "../engine/client.js";
import { loadOneWorkflow } from "../loader/load-workflow-file.js";
import { addBulkOptions, checkBulkFlags, runBulk } from "./bulk-command.js";
import {
  collectSecret,
  EXIT,
  type GlobalOptions,
  keepStdoutForJson,
  openCairn,
  parseJson,
  positiveInt,
  printJson,
  type Runner,
  readInput,
  registerFile,
} from "./common.js";
import { refuseDifferentRun } from "./existing-run.js";
import { exitForRun, follow } from "./follow.js";
import { planText, runJson, runLine } from "./format.js";
import { progressPrinter, runSummary } from "./progress.js";
import { checkBulkRerun, checkBulkVersion, commaList, onChangeOption } from "./run-flags.js";
import { waitingForSignal } from "./signal-command.js";
import { isStoredId, startStored } from "./stored-run.js";
import { loadWorkflows, otherSourceNote } from "./workflow-files.js";

/** Print the run when it settles (or the handle at once when detached) and return the exit code. */
async function finish(
  cairn: Cairn,
  handle: RunHandle,
  global: GlobalOptions,
  detach = false,
  shown: { followLogs?: boolean; latestAttempt?: boolean } = {},
): Promise<number> {
  if (detach) {
    if (global.json) printJson(handle.run);
    else process.stdout.write(`${runLine(handle.run)}\n`);
    return EXIT.ok;
  }
  const run = await follow(cairn, handle.id, {
    quiet: global.json === true,
    progress: progressPrinter(shown.followLogs),
    latestAttempt: shown.latestAttempt === true,
    stopAtSignalWait: true,
  });
  if (run.status === "running") return waitingForSignal(cairn, run.id, global);
  const view = await cairn.get(run.id);
  if (global.json) printJson(runJson(view!));
  else process.stdout.write(`${runSummary(view!.run)}\n`);
  return exitForRun(view!.run);
}

/**
 * A resumed child run resumed the callers its failure had failed (engine/linked-resume.ts): this
 * process drives them too, so it follows them to their end (innermost first) and exits as the
 * outermost ended. With --json only the resumed run was printed.
 */
async function followCallers(
  cairn: Cairn,
  linked: readonly LinkedRun[] | undefined,
  global: GlobalOptions,
  code: number,
): Promise<number> {
  const callers = (linked ?? []).filter((l) => l.relation === "caller").map((l) => l.runId);
  if (callers.length === 0 || code !== EXIT.ok) return code;
  let last: number = code;
  for (const id of callers.sort((a, b) => b.length - a.length)) {
    const run = await follow(cairn, id, { quiet: global.json === true, latestAttempt: true });
    if (!global.json) process.stdout.write(`${runSummary(run)}\n`);
    last = exitForRun(run);
  }
  return last;
}

export function registerRunCommands(program: Command, runner: Runner): void {
  program
    .command("run")
    .description("validate a workflow file (or take a stored workflow by id), start a run and follow it")
    .argument(
      "<file-or-id>",
      "workflow file: .yaml, .ts or .js (file.ts#export to pick one); or the id of a workflow stored with cairn workflows push",
    )
    .option("--input <json>", "run input as JSON")
    .option("--input-file <path>", "run input from a JSON file")
    .option("--id <runId>", "run id; an existing id returns that run instead of starting another")
    .option(
      "--version <version>",
      'with a stored workflow id: the stored version to run (default "latest": the newest)',
    )
    .option("--tenant <tenant>", "with a stored workflow id: the tenant that stored it", "default")
    .option("--secret <NAME=VALUE>", "a runtime secret (repeatable; never stored)", collectSecret)
    .option("--timeout <duration>", "the run's deadline (30s, 5m, 2h); default: the workflow's `timeout`")
    .option("--detach", "only record the run and exit; a worker executes it")
    .option(
      "--workflows <paths...>",
      "more workflow files, or directories of them, to register: the workflows its steps start as child runs (run-workflow:)",
    )
    .option("--follow-logs", "print each step's output lines as they come (default on a terminal)")
    .option("--no-follow-logs", "only one line per step, also on a terminal")
    .action(async (target: string, opts, command: Command) => {
      let definition: WorkflowDefinition | null = null;
      let others: WorkflowDefinition[] = [];
      let input: Json;
      const prepare = async () => {
        if (opts.workflows) others = await loadWorkflows(opts.workflows as string[]);
        input = readInput(opts);
        if (isStoredId(target)) return;
        if (opts.version !== undefined)
          throw new CairnError(
            "USAGE",
            `--version names a stored version of a workflow pushed with cairn workflows push, not of a file (${target}).`,
          );
        definition = await loadOneWorkflow(target);
      };
      return runner(
        command,
        async (cairn, global) => {
          keepStdoutForJson(global);
          for (const other of others) if (other.id !== definition?.id) await cairn.register(other);
          const options = {
            ...(opts.id ? { runId: opts.id } : {}),
            ...(opts.secret ? { secrets: opts.secret } : {}),
            ...(opts.timeout !== undefined ? { timeout: opts.timeout as string } : {}),
            detach: opts.detach === true,
          };
          let handle: RunHandle;
          if (definition) {
            await cairn.register(definition);
            if (opts.id) await refuseDifferentRun(cairn, opts.id, definition, input);
            handle = await cairn.start(definition.id, input, options);
          } else
            handle = await startStored(cairn, target, input, {
              ...options,
              tenant: opts.tenant as string,
              ...(opts.version !== undefined ? { version: opts.version as string } : {}),
            });
          return finish(cairn, handle, global, opts.detach === true, { followLogs: opts.followLogs });
        },
        { prepare },
      );
    });

  const resume = program
    .command("resume")
    .description("continue a failed, cancelled, paused or interrupted run in place (or many: --all)")
    .argument("[runId]")
    .option("--dry-run", "print what resume would do with every step, and why; change nothing")
    .option(
      "--retry-failed",
      "execute failed steps again (the default unless the workflow's resume: says no)",
    )
    .option("--no-retry-failed", "keep failed steps failed instead of executing them again")
    .option(
      "--reset-running",
      "execute steps that were running again (the default unless the workflow says no)",
    )
    .option("--no-reset-running", "mark steps that were running as failed instead of executing them again")
    .option("--on-change <mode>", `steps whose definition changed: ${ON_CHANGE.join("|")}`)
    .option("--max-attempts <n>", "total executions a step may have across resumes", (v) =>
      positiveInt(v, "--max-attempts"),
    )
    .option("--reset-attempts", "forget the attempts already used")
    .option("--mark-done <stepId>", "record this step as succeeded (with --output), then continue")
    .option("--output <json>", "the output for --mark-done", (v) => parseJson(v, "--output"))
    .option("--secret <NAME=VALUE>", "a runtime secret (repeatable; never stored)", collectSecret)
    .option("--file <path>", "load the workflow from this file (when it moved)")
    .option("--timeout <duration>", "a deadline for this resume; default: the run's own, counted afresh")
    .option("--detach", "resume and exit; a worker executes it")
    .option("--follow-logs", "print each step's output lines as they come (default on a terminal)")
    .option("--no-follow-logs", "only one line per step, also on a terminal");
  addBulkOptions(resume).action(async (runId: string | undefined, opts, command: Command) =>
    runner(
      command,
      async (cairn, global) => {
        keepStdoutForJson(global);
        await registerFile(cairn, opts.file);
        const onChange = onChangeOption(opts.onChange);
        if (opts.output !== undefined && opts.markDone === undefined)
          throw new CairnError("USAGE", "--output goes with --mark-done STEP.");
        // Only what the command line says: the rest comes from the workflow's `resume` block, or Cairn's defaults.
        const given = (name: string) => command.getOptionValueSource(name) === "cli";
        const options = {
          ...(given("retryFailed") ? { retryFailed: opts.retryFailed as boolean } : {}),
          ...(given("resetRunning") ? { resetRunning: opts.resetRunning as boolean } : {}),
          ...(onChange ? { onChange } : {}),
          ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts as number } : {}),
          ...(opts.resetAttempts ? { resetAttempts: true } : {}),
          ...(opts.markDone
            ? { markDone: { stepId: opts.markDone as string, output: opts.output ?? null } }
            : {}),
          ...(opts.secret ? { secrets: opts.secret as Record<string, string> } : {}),
        };
        if (opts.all) return runBulk(cairn, global, "resume", opts, options);
        await noteOtherSource(cairn, runId!, opts.file);
        if (opts.dryRun) {
          const plan = await cairn.resumePlan(runId!, options);
          if (global.json) printJson(plan);
          else process.stdout.write(`${planText(plan)}\n`);
          return plan.refusal ? EXIT.refused : EXIT.ok;
        }
        const handle = await cairn.resume(runId!, {
          ...options,
          ...(opts.timeout !== undefined ? { timeout: opts.timeout as string } : {}),
          detach: opts.detach === true,
        });
        if (!global.json) process.stdout.write(`${planText(handle.plan)}\n`);
        const code = await finish(cairn, handle, global, opts.detach === true, {
          followLogs: opts.followLogs,
          latestAttempt: true,
        });
        return opts.detach === true ? code : followCallers(cairn, handle.plan.linkedRuns, global, code);
      },
      {
        execute: opts.dryRun !== true && opts.detach !== true,
        prepare: async () => checkBulkFlags(runId, opts),
      },
    ),
  );

  const restart = program
    .command("restart")
    .description("start a new run of the same workflow with the same input, from scratch (or many: --all)")
    .argument("[runId]")
    .option("--file <path>", "load the workflow from this file (when it moved)")
    .option(
      "--version <version>",
      'for a run of a stored workflow: this stored version ("latest": the newest, the default)',
    )
    .option("--secret <NAME=VALUE>", "a runtime secret (repeatable; never stored)", collectSecret)
    .option("--detach", "only record the new run and exit")
    .option("--follow-logs", "print each step's output lines as they come (default on a terminal)")
    .option("--no-follow-logs", "only one line per step, also on a terminal")
    .option("--dry-run", "with --all: print the combined plan; change nothing");
  addBulkOptions(restart).action(async (runId: string | undefined, opts, command: Command) =>
    runner(
      command,
      async (cairn, global) => {
        keepStdoutForJson(global);
        await registerFile(cairn, opts.file);
        if (opts.all) return runBulk(cairn, global, "restart", opts);
        await noteOtherSource(cairn, runId!, opts.file);
        const handle = await cairn.restart(runId!, {
          detach: opts.detach === true,
          ...(opts.secret ? { secrets: opts.secret } : {}),
          ...(opts.version !== undefined ? { version: opts.version as string } : {}),
        });
        return finish(cairn, handle, global, opts.detach === true, { followLogs: opts.followLogs });
      },
      { prepare: async () => checkBulkVersion(runId, opts) },
    ),
  );

  const rerun = program
    .command("rerun")
    .description(
      "start a new run that executes chosen steps and their downstream, reusing the rest (or many: --all --failed)",
    )
    .argument("[runId]", "the run to rerun from (or --latest-failed WORKFLOW)")
    .option("--failed", "rerun every failed step")
    .option("--from <ids>", "rerun from these steps (comma-separated)")
    .option("--items <keys>", "with --from MAP_STEP: only these items of it run again (comma-separated keys)")
    .option("--latest-failed <workflow>", "use the latest failed run of this workflow")
    .option(
      "--dry-run",
      "print what the rerun would execute and reuse (from which run), and why; start nothing",
    )
    .option(
      "--on-change <mode>",
      `steps whose definition changed since the source run: ${ON_CHANGE.join("|")}`,
    )
    .option("--file <path>", "load the workflow from this file (when it moved)")
    .option(
      "--version <version>",
      'for a run of a stored workflow: this stored version ("latest": the newest, the default)',
    )
    .option("--secret <NAME=VALUE>", "a runtime secret (repeatable; never stored)", collectSecret)
    .option("--detach", "only record the new run and exit")
    .option("--follow-logs", "print each step's output lines as they come (default on a terminal)")
    .option("--no-follow-logs", "only one line per step, also on a terminal");
  addBulkOptions(rerun).action(async (runIdArg: string | undefined, opts, command: Command) =>
    runner(
      command,
      async (cairn, global) => {
        keepStdoutForJson(global);
        await registerFile(cairn, opts.file);
        if (opts.all) return runBulk(cairn, global, "rerun", opts);
        if ((opts.failed === true) === (opts.from !== undefined))
          throw new CairnError("USAGE", "Choose exactly one of --failed or --from STEP[,STEP…].");
        if (opts.items !== undefined && opts.from === undefined)
          throw new CairnError("USAGE", "--items needs --from MAP_STEP.");
        if ((runIdArg === undefined) === (opts.latestFailed === undefined))
          throw new CairnError("USAGE", "Name a run id, or use --latest-failed WORKFLOW.");
        const onChange = onChangeOption(opts.onChange);
        let runId = runIdArg;
        if (opts.latestFailed) {
          const latest = await cairn.latestFailed(opts.latestFailed);
          if (!latest)
            throw new CairnError(
              "NOT_FOUND",
              `Workflow "${opts.latestFailed}" has no failed run left to fix (a failed run whose rerun, restart or resume succeeded is not offered).`,
            );
          runId = latest.run.id;
        }
        await noteOtherSource(cairn, runId!, opts.file);
        const selection = opts.failed
          ? ({ failed: true } as const)
          : {
              from: commaList(opts.from),
              ...(opts.items !== undefined ? { items: commaList(opts.items) } : {}),
            };
        const version = opts.version !== undefined ? { version: opts.version as string } : {};
        if (opts.dryRun) {
          const plan = await cairn.rerunPlan(runId!, selection, {
            ...(onChange ? { onChange } : {}),
            ...version,
          });
          if (global.json) printJson(plan);
          else process.stdout.write(`${planText(plan, "rerun plan")}\n`);
          return plan.refusal ? EXIT.refused : EXIT.ok;
        }
        const handle = await cairn.rerun(runId!, selection, {
          detach: opts.detach === true,
          ...(onChange ? { onChange } : {}),
          ...(opts.secret ? { secrets: opts.secret } : {}),
          ...version,
        });
        if (!global.json) process.stdout.write(`${planText(handle.plan, "rerun plan")}\n`);
        return finish(cairn, handle, global, opts.detach === true, { followLogs: opts.followLogs });
      },
      { execute: opts.dryRun !== true, prepare: async () => checkBulkRerun(runIdArg, opts) },
    ),
  );

  for (const verb of ["cancel", "pause"] as const) {
    const control = program
      .command(verb)
      .description(
        verb === "cancel"
          ? "cancel a run: no new steps; running steps are aborted (or many: --all)"
          : "pause a run: no new steps; running ones finish",
      )
      .argument(verb === "cancel" ? "[runId]" : "<runId>");
    if (verb === "cancel")
      addBulkOptions(control).option("--dry-run", "with --all: print the combined plan; change nothing");
    control.action(async (runId: string | undefined, opts, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          if (opts.all) return runBulk(cairn, global, "cancel", opts);
          const run = verb === "cancel" ? await cairn.cancel(runId!) : await cairn.pause(runId!);
          if (global.json) printJson(run);
          else process.stdout.write(`${runLine(run)}\n`);
          return EXIT.ok;
        },
        {
          execute: false,
          prepare: async () => (verb === "cancel" ? checkBulkFlags(runId, opts) : undefined),
        },
      ),
    );
  }
}

/** Say so (on stderr) when another file now defines the run's workflow id; the run keeps its own file. */
async function noteOtherSource(cairn: Cairn, runId: string, file: string | undefined): Promise<void> {
  const run = file === undefined ? await cairn.run(runId) : undefined;
  const note = run && otherSourceNote(run, await cairn.workflow(run.workflowId));
  if (note) process.stderr.write(`cairn: ${note}\n`);
}

export { openCairn };

import type { Command } from "commander";
import type { Cairn } from "../cairn.js";
import type { Json } from "../core/types.js";
import { EXIT, type GlobalOptions, keepStdoutForJson, parseJson, printJson, type Runner } from "./common.js";
import { exitForRun, follow } from "./follow.js";
import { runJson, runLine } from "./format.js";
import { signalWaits } from "./signal-waits.js";

/**
 * A foreground `cairn run` / `resume` whose run now only waits for signals — its own steps', or
 * those of child runs its steps wait for (cli/signal-waits.ts): say how to send each and exit with
 * EXIT.waiting (6). The runs are left for `cairn signal`, which continues them.
 */
export async function waitingForSignal(cairn: Cairn, runId: string, global: GlobalOptions): Promise<number> {
  const view = (await cairn.get(runId))!;
  if (global.json) {
    printJson(runJson(view));
    return EXIT.waiting;
  }
  const lines = [runLine(view.run)];
  for (const wait of (await signalWaits(cairn, runId))?.waits ?? []) {
    const until = wait.until === null ? "" : ` (timeout ${new Date(wait.until).toISOString()})`;
    const where = wait.runId === runId ? "" : ` of child run ${wait.runId}`;
    lines.push(
      `  step "${wait.stepId}"${where} waits for signal "${wait.name}"${until}; send it with:`,
      `    cairn signal ${wait.runId} ${wait.name} --data '<json>'`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.waiting;
}

export function registerSignalCommand(program: Command, runner: Runner): void {
  program
    .command("signal")
    .description(
      "send a signal to a run; continue the run here (with the interrupted callers waiting for it) when no process drives it",
    )
    .argument("<runId>")
    .argument("<name>", "the signal's name, as the wait names it")
    .option("--data <json>", "the signal's data as JSON (default null)", (v) => parseJson(v, "--data"))
    .option("--key <key>", "idempotency key: a repeated send with the same key is accepted once")
    .action(async (runId: string, name: string, opts, command: Command) =>
      runner(command, async (cairn, global) => {
        keepStdoutForJson(global);
        const receipt = await cairn.signal(runId, name, (opts.data ?? null) as Json, {
          ...(opts.key ? { key: opts.key as string } : {}),
        });
        const view = await cairn.get(runId);
        // Its foreground `cairn run` returned at the wait (or died): continue it here, as `cairn resume`
        // does — from its outermost interrupted caller, when that run was left waiting for it.
        if (receipt.accepted && view?.run.status === "interrupted") {
          const handle = await cairn.resume(await continueFrom(cairn, runId));
          const run = await follow(cairn, handle.id, {
            quiet: global.json === true,
            latestAttempt: true,
            stopAtSignalWait: true,
          });
          if (run.status === "running") return waitingForSignal(cairn, run.id, global);
          const after = (await cairn.get(run.id))!;
          if (global.json) printJson(runJson(after));
          else process.stdout.write(`${runLine(after.run)}\n`);
          return exitForRun(after.run);
        }
        if (global.json) printJson(receipt);
        else
          process.stdout.write(
            receipt.accepted
              ? `signal "${name}" sent to ${runId}${receipt.wokeStep ? `; step "${receipt.wokeStep}" continues` : "; kept until a step waits for it"}\n`
              : `signal "${name}" with key "${opts.key}" was already sent to ${runId}; nothing changed\n`,
          );
        return EXIT.ok;
      }),
    );
}

/**
 * The run to resume so that an interrupted run and the interrupted callers waiting for it continue
 * together: the outermost such caller, whose resume resumes the child runs its steps wait for
 * (engine/linked-resume.ts); the run itself when no interrupted caller waits for it.
 */
async function continueFrom(cairn: Cairn, runId: string): Promise<string> {
  let top = runId;
  for (let run = await cairn.run(runId); run?.callerRunId; ) {
    const caller = await cairn.run(run.callerRunId);
    if (caller?.status !== "interrupted") break;
    const plan = await cairn.resumePlan(caller.id);
    if (plan.refusal || !plan.linkedRuns?.some((l) => l.runId === runId)) break;
    top = caller.id;
    run = caller;
  }
  return top;
}

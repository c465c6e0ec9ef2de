import type { Command } from "commander";
import { parkedWait } from "../core/step-wait.js";
import type { Json } from "../core/types.js";
import type { RunView } from "../engine/run-view.js";
import { EXIT, type GlobalOptions, keepStdoutForJson, parseJson, printJson, type Runner } from "./common.js";
import { exitForRun, follow } from "./follow.js";
import { runJson, runLine } from "./format.js";

/**
 * A foreground `cairn run` / `resume` whose run now only waits for a signal: say how to send it and
 * exit with EXIT.waiting (6). The run is left for `cairn signal`, which continues it.
 */
export function waitingForSignal(view: RunView, global: GlobalOptions): number {
  if (global.json) {
    printJson(runJson(view));
    return EXIT.waiting;
  }
  const lines = [runLine(view.run)];
  for (const step of view.steps) {
    const wait = parkedWait(step);
    if (wait?.kind !== "signal") continue;
    const until = wait.until === null ? "" : ` (timeout ${new Date(wait.until).toISOString()})`;
    lines.push(
      `  step "${step.stepId}" waits for signal "${wait.name}"${until}; send it with:`,
      `    cairn signal ${view.run.id} ${wait.name} --data '<json>'`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.waiting;
}

export function registerSignalCommand(program: Command, runner: Runner): void {
  program
    .command("signal")
    .description("send a signal to a run; continue the run here when no process drives it")
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
        // Its foreground `cairn run` returned at the wait (or died): continue it here, as `cairn resume` does.
        if (receipt.accepted && view?.run.status === "interrupted") {
          const handle = await cairn.resume(runId);
          const run = await follow(cairn, handle.id, { quiet: global.json === true, stopAtSignalWait: true });
          const after = (await cairn.get(run.id))!;
          if (run.status === "running") return waitingForSignal(after, global);
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

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import type { StepContext, StepHandler } from "../core/definition.js";
import type { Json } from "../core/types.js";

/** How long a shell step gets between SIGTERM and SIGKILL when it is cancelled or times out. */
export const KILL_GRACE_MS = 5000;

export interface ShellStepSpec {
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A `run:` step: `sh -c command` in the run's working directory, in its own process group so that a
 * cancel or timeout kills the whole tree (SIGTERM, then SIGKILL after KILL_GRACE_MS).
 *
 * What the command sees:
 *   CAIRN_INPUT_FILE / CAIRN_NEEDS_FILE  JSON files with the run input and the upstream outputs by id
 *   CAIRN_INPUT / CAIRN_NEEDS            the same JSON inline (when under 64 KiB)
 *   CAIRN_OUTPUT                         a file path: JSON written there becomes the step's output
 *   CAIRN_CHECKPOINT                     a file path: JSON written there is recorded as the step's
 *                                        checkpoint while it runs (throttled like ctx.checkpoint)
 *   CAIRN_LAST_CHECKPOINT                the checkpoint of an earlier attempt (JSON), or empty
 *   CAIRN_RUN_ID, CAIRN_STEP_ID, CAIRN_ATTEMPT, CAIRN_IDEMPOTENCY_KEY, the secrets by name, `env:`.
 * stdout and stderr lines are kept as the step's log. A non-zero exit fails the step.
 */
export function shellStep(spec: ShellStepSpec): StepHandler {
  const handler = async (ctx: StepContext<Json, Record<string, Json>>): Promise<Json> => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-step-"));
    try {
      const inputJson = JSON.stringify(ctx.input ?? null);
      const needsJson = JSON.stringify(ctx.needs ?? {});
      const files = {
        input: path.join(scratch, "input.json"),
        needs: path.join(scratch, "needs.json"),
        output: path.join(scratch, "output.json"),
        checkpoint: path.join(scratch, "checkpoint.json"),
      };
      fs.writeFileSync(files.input, inputJson);
      fs.writeFileSync(files.needs, needsJson);
      const inline = (json: string) => (json.length < 65536 ? json : "");
      fs.mkdirSync(ctx.run.workdir, { recursive: true });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...spec.env,
        ...ctx.secrets,
        CAIRN_INPUT_FILE: files.input,
        CAIRN_NEEDS_FILE: files.needs,
        CAIRN_INPUT: inline(inputJson),
        CAIRN_NEEDS: inline(needsJson),
        CAIRN_OUTPUT: files.output,
        CAIRN_CHECKPOINT: files.checkpoint,
        CAIRN_LAST_CHECKPOINT: ctx.lastCheckpoint === undefined ? "" : JSON.stringify(ctx.lastCheckpoint),
        CAIRN_RUN_ID: ctx.run.id,
        CAIRN_STEP_ID: ctx.step.id,
        CAIRN_ATTEMPT: String(ctx.step.attempt),
        CAIRN_IDEMPOTENCY_KEY: ctx.idempotencyKey,
      };
      const watcher = watchCheckpoint(files.checkpoint, ctx);
      let exit: Awaited<ReturnType<typeof runCommand>>;
      try {
        exit = await runCommand(spec.command, ctx, env);
      } finally {
        await watcher.stop();
      }
      if (exit.signal) throw new Error(`Command was killed by ${exit.signal}.`);
      if (exit.code !== 0) {
        const tail = exit.stderrTail.length > 0 ? `: ${exit.stderrTail.join(" | ")}` : "";
        throw new Error(`Command exited with code ${exit.code}${tail}`);
      }
      if (!fs.existsSync(files.output)) return null;
      const text = fs.readFileSync(files.output, "utf8");
      if (text.trim() === "") return null;
      try {
        return JSON.parse(text) as Json;
      } catch {
        // JSON.stringify keeps the message on one line whatever the command wrote.
        const shown = text.trim().length > 80 ? `${text.trim().slice(0, 77)}...` : text.trim();
        throw new Error(`The command wrote invalid JSON to $CAIRN_OUTPUT: ${JSON.stringify(shown)}`);
      }
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  };
  return handler as StepHandler;
}

/** How often the checkpoint file is looked at; ctx.checkpoint throttles the writes themselves. */
const CHECKPOINT_POLL_MS = 200;

/**
 * Record what the command writes to $CAIRN_CHECKPOINT: each new complete JSON value goes through
 * ctx.checkpoint (throttled), and the last one is written for sure when the command ends, so a
 * retry or a resume after a crash starts from it. A half-written file (invalid JSON) is skipped.
 */
function watchCheckpoint(
  file: string,
  ctx: StepContext<Json, Record<string, Json>>,
): { stop(): Promise<void> } {
  let seen = "";
  let pending: Promise<void> = Promise.resolve();
  const look = (force: boolean) => {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      return;
    }
    if (text === seen || text.trim() === "") return;
    let value: Json;
    try {
      value = JSON.parse(text) as Json;
    } catch {
      return;
    }
    seen = text;
    pending = pending.then(() => ctx.checkpoint(value, { force })).catch(() => undefined);
  };
  const timer = setInterval(() => look(false), CHECKPOINT_POLL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      // The last value is recorded even inside the throttle window.
      seen = "";
      look(true);
      await pending;
    },
  };
}

function runCommand(
  command: string,
  ctx: StepContext<Json, Record<string, Json>>,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderrTail: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], {
      cwd: ctx.run.workdir,
      env,
      detached: true, // its own process group: cancel kills the whole tree
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stderrTail: string[] = [];
    const log = ctx.log as unknown as { stream?: (s: "stdout" | "stderr", line: string) => void };
    createInterface({ input: child.stdout }).on("line", (line) =>
      log.stream ? log.stream("stdout", line) : ctx.log(line),
    );
    createInterface({ input: child.stderr }).on("line", (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 3) stderrTail.shift();
      if (log.stream) log.stream("stderr", line);
      else ctx.log.error(line);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      signalGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
      killTimer.unref();
    };
    if (ctx.signal.aborted) kill();
    else ctx.signal.addEventListener("abort", kill, { once: true });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(killTimer);
      ctx.signal.removeEventListener("abort", kill);
      // The group may still hold children that ignored SIGTERM; make sure nothing outlives the step.
      if (ctx.signal.aborted) signalGroup(child.pid, "SIGKILL");
      resolve({ code, signal, stderrTail });
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

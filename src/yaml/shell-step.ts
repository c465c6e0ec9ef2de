import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import type { StepContext, StepHandler } from "../core/definition.js";
import type { ItemHandler, MapItemContext } from "../core/map-spec.js";
import type { Json } from "../core/types.js";

/**
 * How long a shell step gets between SIGTERM and SIGKILL when it is cancelled, times out, or its owner
 * died (the same grace as the engine's ORPHAN_KILL_GRACE_MS).
 */
export const KILL_GRACE_MS = 5000;

/** The command's last stderr lines kept with its failure (the whole stream is in the step's log). */
export const STDERR_TAIL_LINES = 20;

/**
 * A command that failed. What the user needs is what the command said, not where in Cairn the
 * failure was noticed: its "stack" (shown under the error by `show --json`, the API and the UI) is
 * the command's last stderr lines.
 */
export class CommandFailed extends Error {
  readonly code = "COMMAND_FAILED";
  constructor(message: string, stderrTail: readonly string[]) {
    super(message);
    this.name = "CommandFailed";
    this.stack = stderrTail.join("\n");
  }
}

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
      const item = (ctx as ItemHolder).mapItem;
      const itemJson = item ? JSON.stringify(item.value ?? null) : "";
      if (item) fs.writeFileSync(path.join(scratch, "item.json"), itemJson);
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
        ...(item
          ? {
              CAIRN_ITEM: inline(itemJson),
              CAIRN_ITEM_FILE: path.join(scratch, "item.json"),
              CAIRN_ITEM_INDEX: String(item.index),
              CAIRN_ITEM_KEY: item.key,
              CAIRN_ITEM_ATTEMPT: String(item.attempt),
            }
          : {}),
      };
      const watcher = watchCheckpoint(files.checkpoint, ctx);
      let exit: Awaited<ReturnType<typeof runCommand>>;
      try {
        exit = await runCommand(spec.command, ctx, env);
      } finally {
        await watcher.stop();
      }
      if (exit.signal) throw new CommandFailed(`Command was killed by ${exit.signal}.`, exit.stderrTail);
      if (exit.code !== 0) {
        const last = exit.stderrTail.slice(-3);
        const tail = last.length > 0 ? `: ${last.join(" | ")}` : "";
        throw new CommandFailed(`Command exited with code ${exit.code}${tail}`, exit.stderrTail);
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

/** An item of a map step, as `shellItem` hands it to the command (see `shellStep`). */
type ItemHolder = { mapItem?: { value: Json; key: string; index: number; attempt: number } };

/**
 * A `run:` command per item of a map step. It sees what a step's command sees (its $CAIRN_OUTPUT
 * is the item's output; $CAIRN_IDEMPOTENCY_KEY is the item's) plus the item: $CAIRN_ITEM (its JSON,
 * inline under 64 KiB), $CAIRN_ITEM_FILE, $CAIRN_ITEM_INDEX, $CAIRN_ITEM_KEY and $CAIRN_ITEM_ATTEMPT.
 * $CAIRN_CHECKPOINT and $CAIRN_LAST_CHECKPOINT are the item's own.
 */
export function shellItem(spec: ShellStepSpec): ItemHandler {
  const step = shellStep(spec);
  const handler = (item: Json, ctx: MapItemContext<Json, Record<string, Json>>) =>
    step({ ...ctx, mapItem: { value: item, ...ctx.item } } as never);
  return handler as ItemHandler;
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

/**
 * The watchdog: a small `sh` in a session (and so a process group) of its own, so that waiting for the
 * step's group to be gone does not wait for it. It reads a pipe from the owner (fd 3): a "done" line
 * (the command exited) lets it go quietly; end of file means the owner died (the kernel closes the
 * owner's end however it dies, SIGKILL included), and it ends the step's group: SIGTERM, then SIGKILL
 * after the grace period. A pipe was chosen over polling the owner's pid because it needs no timer,
 * reacts at once and cannot be fooled by a reused pid; prctl(PR_SET_PDEATHSIG) is not reachable from
 * Node and covers one process, not a group.
 */
const WATCHDOG = [
  "if IFS= read -r _; then exit 0; fi",
  'kill -TERM "-$1" 2>/dev/null',
  'i=0; while [ "$i" -lt "$2" ] && kill -0 "-$1" 2>/dev/null; do sleep 1; i=$((i + 1)); done',
  'if kill -0 "-$1" 2>/dev/null; then kill -KILL "-$1"; fi',
].join("\n");

/**
 * The command starts only on the owner's word: `sh` (the group's leader) waits for a "go" line on fd 3,
 * sent once the group is recorded on the step (so that a later execution on this machine can always
 * find and end it; if the owner dies first, the command never starts). It then starts the watchdog
 * (forked by this `sh`: spawning it from Node cost a second fork of the whole Node process per step)
 * and `exec`s the command in its own place, so the pid, the exit code and a killing signal are the
 * command's own. Without `setsid` (not Linux) there is no watchdog.
 */
const GATED = [
  "IFS= read -r go <&3 || exit 125",
  `command -v setsid >/dev/null 2>&1 && setsid sh -c '${WATCHDOG}' cairn-watchdog "$$" ${KILL_GRACE_MS / 1000} <&3 >/dev/null 2>&1 &`,
  'exec sh -c "$1" 3<&-',
].join("\n");

type StepProcessHook = { recordProcess?: (pgid: number) => Promise<void> };

function runCommand(
  command: string,
  ctx: StepContext<Json, Record<string, Json>>,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderrTail: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", GATED, "cairn-step", command], {
      cwd: ctx.run.workdir,
      env,
      detached: true, // its own process group: cancel kills the whole tree
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    const owner = child.stdio[3] as Writable;
    owner.on("error", () => undefined); // the wrapper and the watchdog are gone already
    const stderrTail: string[] = [];
    const log = ctx.log;
    createInterface({ input: child.stdout! }).on("line", (line) =>
      log.stream ? log.stream("stdout", line) : ctx.log(line),
    );
    createInterface({ input: child.stderr! }).on("line", (line) => {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      if (log.stream) log.stream("stderr", line);
      else ctx.log.error(line);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      signalGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
      killTimer.unref();
    };
    let refused: unknown;
    const go = async () => {
      const hook = (ctx as StepProcessHook).recordProcess;
      if (hook && child.pid !== undefined) await hook(child.pid);
      owner.write("go\n");
    };
    go().catch((error: unknown) => {
      // Not recorded (the lease moved on): the command never starts; the wrapper exits at end of file.
      refused = error;
      owner.destroy();
    });
    if (ctx.signal.aborted) kill();
    else ctx.signal.addEventListener("abort", kill, { once: true });
    child.on("error", reject);
    // The command exited: the watchdog leaves (what the command left behind in the group is kept),
    // and the pipe closes, so "close" follows once stdout and stderr are drained.
    child.on("exit", () => owner.end("done\n"));
    child.on("close", (code, signal) => {
      clearTimeout(killTimer);
      ctx.signal.removeEventListener("abort", kill);
      // The group may still hold children that ignored SIGTERM; make sure nothing outlives the step.
      if (ctx.signal.aborted) signalGroup(child.pid, "SIGKILL");
      if (refused !== undefined) reject(refused);
      else resolve({ code, signal, stderrTail });
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

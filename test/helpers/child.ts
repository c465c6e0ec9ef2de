import { type ChildProcess, spawn } from "node:child_process";

export interface ChildRun {
  child: ChildProcess;
  stdout: () => string;
  /** What it wrote to stderr so far (the CLI's log lines go there). */
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once it exited and all its stdout and stderr have been read. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when a stdout line matches. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Spawn `node <script> …args` with a stdout line reader. */
export function spawnNode(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
  cwd?: string,
): ChildRun {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(cwd ? { cwd } : {}),
  });
  let out = "";
  let err = "";
  const waiters: Array<() => void> = [];
  child.stdout!.on("data", (d) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => {
      for (const w of waiters.splice(0)) w();
      resolve({ code, signal });
    }),
  );
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const line = async (pattern: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = out.split("\n").find((l) => pattern.test(l));
      if (found !== undefined) return found;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `child exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout: ${out}\nstderr: ${err}`,
        );
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}\nstdout: ${out}\nstderr: ${err}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
  return {
    child,
    stdout: () => `${out}${err ? `\n[stderr] ${err}` : ""}`,
    stderr: () => err,
    exited,
    closed,
    line,
  };
}

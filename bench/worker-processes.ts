import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { BENCH_DIR, ROOT } from "./report.js";

/** A worker process of a scenario: ready once it printed "ready"; on SIGTERM it prints a JSON line and exits. */
export interface WorkerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  /** What the worker printed on its last line when it exited, parsed; null if it printed no JSON. */
  exited: Promise<unknown>;
}

export function spawnWorker(script: string, args: Record<string, unknown>): WorkerProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(BENCH_DIR, script), JSON.stringify(args)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("ready\n")) resolve();
    });
    child.on("exit", (code) =>
      reject(new Error(`${script} worker exited (${code}) before it was ready\n${out}\n${err}`)),
    );
  });
  const exited = new Promise<unknown>((resolve) =>
    child.on("close", () => {
      const last = out.trim().split("\n").at(-1) ?? "";
      resolve(last.startsWith("{") ? JSON.parse(last) : null);
    }),
  );
  return { child, ready, exited };
}

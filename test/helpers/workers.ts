import type { TestContext } from "node:test";
import { type ChildRun, spawnNode } from "./child.js";
import { BIN } from "./cli.js";

export interface WorkerProcess extends ChildRun {
  /** The worker id it records as lease owner (from its ready line). */
  readonly id: string;
  readonly pid: number;
  /** SIGTERM, then wait for it to exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface WorkerOptions {
  db: string;
  workflows: readonly string[];
  env?: NodeJS.ProcessEnv;
  concurrency?: number;
  leaseMs?: number;
  heartbeatMs?: number;
}

/**
 * Start `cairn worker` processes (the built CLI) and wait until each printed its ready line. Any
 * still running when the test ends are killed.
 */
export async function startWorkers(
  t: TestContext,
  count: number,
  options: WorkerOptions,
): Promise<WorkerProcess[]> {
  // No workflow files: the worker executes only runs of workflows stored as data.
  const files = options.workflows.length > 0 ? ["--workflows", ...options.workflows] : [];
  const args = ["worker", "--db", options.db, ...files];
  if (options.concurrency !== undefined) args.push("--concurrency", String(options.concurrency));
  if (options.leaseMs !== undefined) args.push("--lease-ms", String(options.leaseMs));
  if (options.heartbeatMs !== undefined) args.push("--heartbeat-ms", String(options.heartbeatMs));
  const children = Array.from({ length: count }, () =>
    spawnNode(BIN, args, { NO_COLOR: "1", ...options.env }),
  );
  t.after(() => {
    for (const c of children)
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  });
  return Promise.all(
    children.map(async (c) => {
      const ready = await c.line(/^cairn worker \S+ ready/, 60_000);
      return {
        ...c,
        id: ready.split(" ")[2]!,
        pid: c.child.pid!,
        stop: () => {
          c.child.kill("SIGTERM");
          return c.exited;
        },
      };
    }),
  );
}

import fs from "node:fs";
import os from "node:os";
import type { WorkerRecord } from "../store/store.js";

const HOST = os.hostname();

export function readProcStart(pid: number): string | null {
  try {
    // Field 22 of /proc/<pid>/stat is the start time in clock ticks since boot; the command name
    // (field 2) may contain spaces, so count fields after its closing parenthesis.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

function readBootId(): string | null {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}

const BOOT_ID = readBootId();

/** This machine as a worker row or a step's process record names it. */
export function thisMachine(): { host: string; bootId: string | null } {
  return { host: HOST, bootId: BOOT_ID };
}

export function describeThisProcess(): Pick<WorkerRecord, "host" | "pid" | "pidStart" | "bootId"> {
  return { host: HOST, pid: process.pid, pidStart: readProcStart(process.pid), bootId: BOOT_ID };
}

export type Liveness = { alive: true } | { alive: false; reason: string };

/**
 * Whether a worker is alive. On this machine the answer is immediate: its pid must exist and be the
 * same process (same start time, same boot). Elsewhere only its heartbeat can tell.
 */
export function workerLiveness(worker: WorkerRecord, now: number): Liveness {
  if (worker.stoppedAt !== null) return { alive: false, reason: `worker ${worker.id} stopped` };
  if (worker.host === HOST && worker.bootId !== null && BOOT_ID !== null) {
    if (worker.bootId !== BOOT_ID) return { alive: false, reason: "the machine restarted since" };
    const start = readProcStart(worker.pid);
    if (start === null || (worker.pidStart !== null && start !== worker.pidStart))
      return { alive: false, reason: `owner process ${worker.pid} on ${worker.host} is gone` };
    return { alive: true };
  }
  if (worker.heartbeatAt + worker.leaseMs < now)
    return {
      alive: false,
      reason: `worker ${worker.id} on ${worker.host} stopped heartbeating at ${new Date(worker.heartbeatAt).toISOString()}`,
    };
  return { alive: true };
}

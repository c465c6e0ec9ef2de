import fs from "node:fs";
import type { FencedStepRef, StepProcess, Store } from "../store/store.js";
import { readProcStart, thisMachine } from "./owner.js";

/** How long an orphaned group gets between SIGTERM and SIGKILL (a shell step's own grace, too). */
export const ORPHAN_KILL_GRACE_MS = 5000;
const POLL_MS = 25;

/** What to record for a process group this process just started (its leader's pid is the group id). */
export function describeGroup(pgid: number): Omit<StepProcess, "epoch"> {
  return { ...thisMachine(), pgid, pidStart: readProcStart(pgid) };
}

/**
 * End the process group an earlier execution of a step started, and wait until none of its processes
 * is left: SIGTERM, then SIGKILL after `graceMs`. Called before a step runs again, so that an
 * orphaned execution (its owner was killed) never overlaps the new one.
 *
 * Only a group started on this machine since its last boot can be found. A reused pid is told apart
 * by the leader's start time; when the leader is gone but members remain, the number still names the
 * old group (Linux hands out no pid that is still in use as a process group id).
 * Returns whether anything had to be ended.
 */
export async function endStepProcessGroup(
  recorded: StepProcess,
  graceMs = ORPHAN_KILL_GRACE_MS,
): Promise<boolean> {
  const here = thisMachine();
  if (recorded.host !== here.host || recorded.bootId === null || recorded.bootId !== here.bootId)
    return false;
  const leaderStart = readProcStart(recorded.pgid);
  if (leaderStart !== null && recorded.pidStart !== null && leaderStart !== recorded.pidStart) return false;
  if (!groupAlive(recorded.pgid)) return false;
  signal(recorded.pgid, "SIGTERM");
  if (await goneWithin(recorded.pgid, graceMs)) return true;
  signal(recorded.pgid, "SIGKILL");
  if (await goneWithin(recorded.pgid, graceMs)) return true;
  throw new Error(
    `The processes of an earlier execution of this step (process group ${recorded.pgid}) did not end after SIGKILL.`,
  );
}

/**
 * Before an execution of a step that ran before (a claim after the first): end what an earlier
 * execution left running on this machine, if anything.
 */
export async function endEarlierExecution(store: Store, ref: FencedStepRef): Promise<void> {
  if (ref.epoch <= 1) return;
  const recorded = await store.read((tx) => tx.getStepProcess(ref));
  if (recorded && recorded.epoch < ref.epoch) await endStepProcessGroup(recorded);
}

function signal(pgid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pgid, name);
  } catch {
    // Already gone.
  }
}

async function goneWithin(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (groupAlive(pgid)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

/**
 * Whether any process of the group is still alive. Zombies do not count: an orphan's parent is gone,
 * and in a container the process that adopts it may never reap it.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return true; // no /proc: the signal's answer is all there is
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // After the command name: state, ppid, pgrp, …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { validateInput } from "../core/definition.js";
import type { CairnLogger } from "../core/logger.js";
import {
  latestTick,
  nextTick,
  onTimeMs,
  type ScheduleDefinition,
  type ScheduleRecord,
} from "../core/schedule.js";
import { isCommittedUnsynced, type Store } from "../store/store.js";
import { insertRun } from "./create-run.js";
import type { LoadedWorkflow } from "./registry.js";
import { storedSchedule } from "./schedules.js";

/** What one pass did with one schedule's due tick. */
export type TickOutcome =
  | { kind: "started"; workflowId: string; name: string; tick: number; runId: string; late: boolean }
  | { kind: "skipped"; workflowId: string; name: string; tick: number };

export interface SchedulerOptions {
  readonly store: Store;
  /** The workflows registered in this process: only their schedules are run here. */
  readonly workflows: ReadonlyMap<string, LoadedWorkflow>;
  readonly logger: CairnLogger;
  /** Told of each run started (the worker looks for its ready steps at once). */
  readonly onStarted: (runId: string) => void;
}

/** The longest the loop sleeps: a schedule registered or resumed by another process is seen within it. */
const MAX_SLEEP_MS = 60_000;
/** After a failed pass (the database is down), look again this soon. */
const RETRY_MS = 1000;

/**
 * The run id of a schedule's tick: time-ordered like every run id (the tick in base 36), then a digest
 * of workflow, schedule and tick. Two workers that claim the same tick would make the same run.
 */
export function scheduledRunId(workflowId: string, name: string, tick: number): string {
  const digest = createHash("sha256").update(`${workflowId}\0${name}\0${tick}`).digest("base64url");
  return `run_${tick.toString(36).padStart(9, "0")}${digest.replace(/[-_]/g, "x").slice(0, 10)}`;
}

/**
 * Starts the runs of the registered workflows' schedules, one per tick. It sleeps until the next tick
 * of any schedule (by the store's clock), then, per schedule, claims the latest due tick with one
 * compare-and-set on the schedule's `lastTick` and inserts the run in the same transaction: with many
 * workers, across restarts and crashes, a tick starts one run or none.
 *
 * A tick seen more than `onTimeMs` late was missed (no scheduler ran at the time): `missed: "skip"`
 * records it as handled and starts nothing; `"catch-up"` starts one run for it — only for the latest
 * missed tick, however many were missed.
 */
export class Scheduler {
  readonly #o: SchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
  }

  start(): void {
    this.wake();
  }

  /** Look for due ticks now (a workflow was registered). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#pass = this.#loop().finally(() => {
      this.#pass = null;
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#pass;
  }

  async #loop(): Promise<void> {
    let sleepMs = RETRY_MS;
    do {
      this.#again = false;
      try {
        sleepMs = await this.#passOnce();
      } catch (error) {
        this.#o.logger.error({ err: error }, "schedules: a pass failed; retrying");
        sleepMs = RETRY_MS;
      }
    } while (this.#again && !this.#stopped);
    if (this.#stopped) return;
    // A few ms past the tick, so that the store's clock has reached it too.
    this.#timer = setTimeout(() => this.wake(), Math.min(MAX_SLEEP_MS, sleepMs) + 5);
    this.#timer.unref();
  }

  /** One pass over every schedule; returns how long to sleep until the next tick. */
  async #passOnce(): Promise<number> {
    // Most processes register no scheduled workflow: they never touch the schedules table.
    const scheduled = [...this.#o.workflows.values()].some((w) => w.definition.schedules.length > 0);
    if (!scheduled) return MAX_SLEEP_MS;
    const records = await this.#o.store.read((tx) => tx.listSchedules());
    let failed = false;
    for (const record of records) {
      if (this.#stopped) break;
      const schedule = this.#definitionOf(record);
      if (!schedule || record.paused) continue;
      try {
        const outcome = await this.runDue(record, schedule);
        if (outcome) this.#report(outcome);
      } catch (error) {
        // One schedule's failure must not hold back the others; its tick is tried again next pass.
        const fields = { err: error, workflowId: record.workflowId, schedule: record.name };
        this.#o.logger.error(fields, "schedule: starting the tick's run failed; retrying");
        failed = true;
      }
    }
    const now = await this.#o.store.read((tx) => tx.now());
    let sleepMs = MAX_SLEEP_MS;
    for (const record of records) {
      const schedule = this.#definitionOf(record);
      const next = schedule && nextTick(schedule, now);
      if (next !== null && next !== undefined) sleepMs = Math.min(sleepMs, next - now);
    }
    return failed ? Math.min(sleepMs, RETRY_MS) : sleepMs;
  }

  /** The definition registered here, when this process runs the schedule. */
  #definitionOf(record: ScheduleRecord): ScheduleDefinition | undefined {
    return this.#o.workflows.get(record.workflowId)?.definition.schedules.find((s) => s.name === record.name);
  }

  /**
   * Start (or skip) the latest due tick of one schedule, unless it was handled already. Public for
   * tests that set up a schedule's state (a missed tick) and run one pass of it.
   */
  async runDue(record: ScheduleRecord, schedule: ScheduleDefinition): Promise<TickOutcome | null> {
    const { store } = this.#o;
    const workflow = this.#o.workflows.get(record.workflowId)!;
    const ref = { workflowId: record.workflowId, name: record.name };
    const { tenant } = storedSchedule(record);
    const input = await validateInput(workflow.definition, schedule.input);
    let workdir: string | null = null;
    try {
      return await store.transaction(async (tx) => {
        const now = await tx.now();
        const tick = latestTick(schedule, now);
        // The record was read before this transaction: the compare-and-set below is what decides.
        if (tick === null || tick <= record.lastTick) return null;
        const late = now - tick > onTimeMs(schedule, tick);
        if (late && schedule.missed === "skip")
          return (await tx.advanceSchedule(ref, tick, null, now)) ? { kind: "skipped", ...ref, tick } : null;
        const runId = scheduledRunId(ref.workflowId, ref.name, tick);
        if (!(await tx.advanceSchedule(ref, tick, runId, now))) return null;
        workdir = path.join(store.dataDir, "runs", runId);
        fs.mkdirSync(workdir, { recursive: true });
        await insertRun(tx, {
          runId,
          workflow,
          input,
          tenant,
          workdir,
          origin: "start",
          parent: null,
          driverId: null,
          trigger: "schedule",
          actor: ref.name,
          note: `tick ${new Date(tick).toISOString()}${late ? " (catch-up of a missed tick)" : ""}`,
        });
        return { kind: "started", ...ref, tick, runId, late };
      });
    } catch (error) {
      if (workdir !== null && !isCommittedUnsynced(error))
        fs.rmSync(workdir, { recursive: true, force: true });
      throw error;
    }
  }

  #report(outcome: TickOutcome): void {
    const at = new Date(outcome.tick).toISOString();
    const fields = { workflowId: outcome.workflowId, schedule: outcome.name, tick: at };
    if (outcome.kind === "skipped") {
      this.#o.logger.warn(fields, "schedule: missed tick skipped");
      return;
    }
    this.#o.logger.info({ ...fields, runId: outcome.runId, late: outcome.late }, "schedule: run started");
    this.#o.onStarted(outcome.runId);
  }
}

import { validateInput, type WorkflowDefinition } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { nextTick, type ScheduleDefinition, type ScheduleRecord } from "../core/schedule.js";
import type { Json } from "../core/types.js";
import type { Store, StoreTx } from "../store/store.js";

/**
 * Schedules as the client sees them: recorded when a workflow is registered, listed with their next
 * tick, paused and resumed. Starting runs at the ticks is the worker's (engine/scheduler.ts).
 */

/** What the store keeps of a schedule's definition: enough to list it without the workflow's code. */
export interface StoredSchedule extends ScheduleDefinition {
  /** The tenant of the runs it starts: the registering instance's. */
  readonly tenant: string;
}

export interface ScheduleView {
  workflowId: string;
  name: string;
  tenant: string;
  cron: string | null;
  timezone: string | null;
  everyMs: number | null;
  missed: ScheduleDefinition["missed"];
  input: Json;
  paused: boolean;
  /** When the next run starts (ms), or null while paused. */
  nextTick: number | null;
  /** The run started at the latest tick that started one. */
  lastRunId: string | null;
}

/** A schedule's input must pass the workflow's input schema when it is registered, not at 3 a.m. */
export async function checkScheduleInputs(definition: WorkflowDefinition): Promise<void> {
  for (const s of definition.schedules) {
    try {
      await validateInput(definition, s.input);
    } catch (error) {
      throw new CairnError(
        "INVALID_DEFINITION",
        `Workflow "${definition.id}" is invalid: schedule "${s.name}": ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}

/** Record a registered workflow's schedules (in the transaction that records the workflow). */
export async function syncWorkflowSchedules(
  tx: StoreTx,
  definition: WorkflowDefinition,
  tenant: string,
): Promise<void> {
  const schedules = definition.schedules.map((s) => ({
    name: s.name,
    spec: { ...s, tenant } satisfies StoredSchedule as unknown as Json,
  }));
  await tx.syncSchedules(definition.id, schedules, await tx.now());
}

export function storedSchedule(record: ScheduleRecord): StoredSchedule {
  return record.spec as unknown as StoredSchedule;
}

/** The schedules of a tenant (of one workflow, or all), with their next tick. */
export async function listScheduleViews(
  store: Store,
  filter: { tenant: string; workflowId?: string },
): Promise<ScheduleView[]> {
  const { records, now } = await store.read(async (tx) => ({
    records: await tx.listSchedules(filter.workflowId),
    now: await tx.now(),
  }));
  return records
    .map((r) => ({ record: r, spec: storedSchedule(r) }))
    .filter(({ spec }) => spec.tenant === filter.tenant)
    .map(({ record, spec }) => ({
      workflowId: record.workflowId,
      name: record.name,
      tenant: spec.tenant,
      cron: spec.cron,
      timezone: spec.timezone,
      everyMs: spec.everyMs,
      missed: spec.missed,
      input: spec.input,
      paused: record.paused,
      nextTick: record.paused ? null : nextTick(spec, Math.max(now, record.lastTick)),
      lastRunId: record.lastRunId,
    }));
}

/**
 * Pause or resume a workflow's schedule (or, without a name, all of its schedules). While paused a
 * schedule starts nothing, and resuming does not start the ticks of the pause. Returns the schedules
 * as they are now; NOT_FOUND when the workflow has no such schedule (of this tenant).
 */
export async function setSchedulesPaused(
  store: Store,
  target: { tenant: string; workflowId: string; name?: string },
  paused: boolean,
): Promise<ScheduleView[]> {
  const found = await listScheduleViews(store, target);
  const chosen = found.filter((s) => target.name === undefined || s.name === target.name);
  if (chosen.length === 0)
    throw new CairnError(
      "NOT_FOUND",
      target.name === undefined
        ? `Workflow "${target.workflowId}" has no schedules.`
        : `Workflow "${target.workflowId}" has no schedule "${target.name}".`,
    );
  await store.transaction(async (tx) => {
    const now = await tx.now();
    for (const s of chosen)
      await tx.setSchedulePaused({ workflowId: s.workflowId, name: s.name }, paused, now);
  });
  const names = new Set(chosen.map((s) => s.name));
  return (await listScheduleViews(store, target)).filter((s) => names.has(s.name));
}

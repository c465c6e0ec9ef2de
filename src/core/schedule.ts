import { Cron } from "croner";
import { durationIn, isRecord, type Problems } from "./definition-checks.js";
import type { Json } from "./types.js";

/**
 * Schedules: a workflow starts a run by itself at every tick of a cron expression (in a time zone)
 * or of a fixed interval. A tick is an instant; the tick is what makes a scheduled start idempotent
 * (engine/scheduler.ts starts at most one run per schedule and tick, whatever the number of workers).
 */

/** What happens to ticks that passed while no scheduler was running (or one came too late). */
export const MISSED_POLICIES = ["skip", "catch-up"] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];

/** A validated schedule of a workflow. */
export interface ScheduleDefinition {
  /** Unique within the workflow ("default" when the workflow declares one schedule without a name). */
  readonly name: string;
  /** A cron expression (5 fields, or 6 with seconds first), or null for an interval schedule. */
  readonly cron: string | null;
  /** The IANA time zone the cron expression is read in; null: UTC. */
  readonly timezone: string | null;
  /** The interval in ms, or null for a cron schedule. Interval ticks are multiples of it since the epoch. */
  readonly everyMs: number | null;
  /** The input of every run it starts. */
  readonly input: Json;
  readonly missed: MissedPolicy;
}

/** How a schedule is written in TypeScript (`workflow(id, { schedules: [...] })`) and in YAML. */
export interface ScheduleOptions {
  name?: string;
  /** "0 * * * *": at minute 0 of every hour. Exactly one of `cron` and `every`. */
  cron?: string;
  /** With `cron`: "Europe/Paris". Default UTC. */
  timezone?: string;
  /** "10m", "1h", "30s", or ms: ticks at every multiple of it since the epoch. */
  every?: string | number;
  input?: Json;
  /** "skip" (default): ticks missed while no scheduler ran start nothing. "catch-up": one run for the latest. */
  missed?: MissedPolicy;
}

/** The state a store keeps for a schedule (its definition comes from the registered workflow). */
export interface ScheduleRecord {
  workflowId: string;
  name: string;
  /** The definition last registered, so that a process without the workflow's code can list it. */
  spec: Json;
  paused: boolean;
  /** Every tick at or before this instant is handled (started, skipped, or before the schedule existed). */
  lastTick: number;
  /** The run started for the latest tick that started one. */
  lastRunId: string | null;
  updatedAt: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SCHEDULE_KEYS = ["name", "cron", "timezone", "every", "input", "missed"];
const MIN_EVERY_MS = 1000;
const MAX_EVERY_MS = 7 * 24 * 3_600_000;

/** A raw schedule as a front door read it, with where it was written ("file.yaml:4:5"). */
export interface RawSchedule {
  readonly value: unknown;
  readonly location?: string;
}

/** Validate a workflow's schedules; problems are added with their location. */
export function checkSchedules(raw: readonly RawSchedule[], problems: Problems): ScheduleDefinition[] {
  const schedules: ScheduleDefinition[] = [];
  const names = new Set<string>();
  raw.forEach(({ value, location }, index) => {
    const where = `${location ? `${location}: ` : ""}schedule #${index + 1}`;
    if (!isRecord(value)) {
      problems.add(where, "must be a mapping with a cron or an every");
      return;
    }
    for (const key of Object.keys(value))
      if (!SCHEDULE_KEYS.includes(key))
        problems.add(where, `unknown key "${key}" (expected one of: ${SCHEDULE_KEYS.join(", ")})`);
    const name = value.name ?? (raw.length === 1 ? "default" : undefined);
    if (name === undefined) problems.add(where, "needs a name when the workflow has several schedules");
    else if (typeof name !== "string" || !NAME.test(name))
      problems.add(where, `name must be 1-64 letters, digits or _.-, got ${JSON.stringify(name)}`);
    else if (names.has(name)) problems.add(where, `duplicate schedule name "${name}"`);
    else names.add(name);
    const schedule = checkTiming(value, where, problems);
    const missed = value.missed ?? "skip";
    if (!MISSED_POLICIES.includes(missed as MissedPolicy))
      problems.add(where, `missed must be "skip" or "catch-up", got ${JSON.stringify(missed)}`);
    const input = value.input ?? {};
    let json: Json = {};
    try {
      json = JSON.parse(JSON.stringify(input)) as Json;
    } catch {
      problems.add(where, "input must be JSON");
    }
    if (schedule && typeof name === "string")
      schedules.push({ name, ...schedule, input: json, missed: missed as MissedPolicy });
  });
  return schedules;
}

function checkTiming(
  value: Record<string, unknown>,
  where: string,
  problems: Problems,
): Pick<ScheduleDefinition, "cron" | "timezone" | "everyMs"> | null {
  const { cron, every, timezone } = value;
  if ((cron === undefined) === (every === undefined)) {
    problems.add(where, "needs exactly one of cron and every");
    return null;
  }
  if (every !== undefined) {
    if (timezone !== undefined) problems.add(where, "timezone applies to cron only, not to every");
    const ms = durationIn(every, MIN_EVERY_MS, MAX_EVERY_MS);
    if (typeof ms === "string") {
      problems.add(where, `every ${ms}`);
      return null;
    }
    return { cron: null, timezone: null, everyMs: ms };
  }
  if (typeof cron !== "string") {
    problems.add(where, `cron must be a string like "0 * * * *", got ${JSON.stringify(cron)}`);
    return null;
  }
  if (timezone !== undefined && (typeof timezone !== "string" || !isTimeZone(timezone))) {
    problems.add(
      where,
      `timezone must be an IANA time zone like "Europe/Paris", got ${JSON.stringify(timezone)}`,
    );
    return null;
  }
  try {
    new Cron(cron, { paused: true, ...(timezone ? { timezone: timezone as string } : {}) });
  } catch (error) {
    problems.add(
      where,
      `cron "${cron}" is invalid: ${error instanceof Error ? error.message : String(error)}`,
    );
    return null;
  }
  return { cron, timezone: (timezone as string | undefined) ?? null, everyMs: null };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronOf(s: ScheduleDefinition): Cron {
  return new Cron(s.cron!, { paused: true, ...(s.timezone ? { timezone: s.timezone } : {}) });
}

/** The latest tick at or before `at` (ms), or null when there is none. */
export function latestTick(s: ScheduleDefinition, at: number): number | null {
  if (s.everyMs !== null) return Math.floor(at / s.everyMs) * s.everyMs;
  // previousRuns counts a tick earlier in the reference's own second: 1 ms later includes `at` itself.
  return (
    cronOf(s)
      .previousRuns(1, new Date(at + 1))[0]
      ?.getTime() ?? null
  );
}

/** The first tick strictly after `at` (ms), or null when there is none. */
export function nextTick(s: ScheduleDefinition, at: number): number | null {
  if (s.everyMs !== null) return (Math.floor(at / s.everyMs) + 1) * s.everyMs;
  return cronOf(s).nextRun(new Date(at))?.getTime() ?? null;
}

/**
 * How late a tick may be started and still count as on time: half the gap to the following tick, at
 * most a minute. A later tick was missed (the scheduler was down): `missed` decides what happens.
 * Half the gap keeps a 1s schedule honest; the minute cap keeps an hourly job from starting 29 minutes late
 * as if nothing had happened.
 */
export function onTimeMs(s: ScheduleDefinition, tick: number): number {
  const following = nextTick(s, tick);
  return following === null ? 60_000 : Math.min(60_000, Math.floor((following - tick) / 2));
}

/** A schedule as shown to people: "cron 0 * * * * (Europe/Paris)" or "every 10m". */
export function describeTiming(s: Pick<ScheduleDefinition, "cron" | "timezone" | "everyMs">): string {
  if (s.cron !== null) return `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ""}`;
  return `every ${readableEvery(s.everyMs ?? 0)}`;
}

function readableEvery(ms: number): string {
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

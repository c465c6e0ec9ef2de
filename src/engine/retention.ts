import fs from "node:fs";
import path from "node:path";
import { CairnError } from "../core/errors.js";
import { FINISHED_RUN_STATUSES, type RunRecord, type RunStatus } from "../core/types.js";
import type { DeletedRunRecord, Store } from "../store/store.js";

/**
 * Retention: deleting finished runs (their rows and their working directories). Each run goes in
 * one transaction that deletes every row recorded for it and leaves a tombstone; its directory is
 * removed after that commit, and the tombstone is then marked done. A process killed in between
 * leaves a consistent store (the run is gone, the tombstone says its directory is still there), and
 * the next gc removes the directory first. Runs made from a deleted run keep working: a rerun copied
 * the outputs it reused into its own rows and its own directory when it was created.
 */

export interface RetentionRules {
  /** Only runs that finished at least this long ago (ms). */
  readonly olderThanMs?: number;
  /** Only runs in these statuses; default every finished status. Running and paused runs never go. */
  readonly statuses?: readonly RunStatus[];
  readonly workflowId?: string;
  readonly tenant?: string;
  /** Spare the newest N runs of each workflow (whatever their status). */
  readonly keepLast?: number;
}

export interface GcOptions {
  /** List what would go and the space it would free; delete nothing. */
  readonly dryRun?: boolean;
  /** At most this many runs in one call (default 1,000): a later call continues. */
  readonly maxRuns?: number;
  /** The time the age is measured from (default the store's clock). */
  readonly now?: number;
  /** Told as each run is deleted (the CLI prints a line). */
  readonly onDeleted?: (run: GcRun) => void;
}

export interface GcRun {
  readonly id: string;
  readonly workflowId: string;
  readonly status: RunStatus;
  readonly finishedAt: number | null;
  /** Bytes of the run's working directory on this machine (0 when it is not here). */
  readonly bytes: number;
}

export interface GcReport {
  readonly dryRun: boolean;
  readonly runs: GcRun[];
  /** Bytes of run directories freed (or, in a dry run, that would be). */
  readonly bytes: number;
  /** Directories left behind by an interrupted gc and removed now. */
  readonly finishedRemovals: number;
  /** The call stopped at `maxRuns`; more runs match. */
  readonly more: boolean;
}

/** Runs per transaction batch of the selection (each run is still deleted in its own transaction). */
const BATCH = 100;

export function resolveRules(
  rules: RetentionRules,
): Required<Pick<RetentionRules, "statuses">> & RetentionRules {
  const statuses = rules.statuses ?? FINISHED_RUN_STATUSES;
  const unfinished = statuses.filter((s) => !FINISHED_RUN_STATUSES.includes(s));
  if (unfinished.length > 0)
    throw new CairnError(
      "USAGE",
      `Only finished runs can be deleted (${FINISHED_RUN_STATUSES.join(", ")}), not ${unfinished.join(", ")}.`,
    );
  if (rules.keepLast !== undefined && (!Number.isInteger(rules.keepLast) || rules.keepLast < 0))
    throw new CairnError("USAGE", `keep-last must be a whole number, got ${rules.keepLast}.`);
  if (rules.olderThanMs !== undefined && !(rules.olderThanMs >= 0))
    throw new CairnError("USAGE", `older-than must be a duration, got ${rules.olderThanMs}.`);
  return { ...rules, statuses };
}

/** Delete the finished runs the rules select, oldest first (or, dry, list them). */
export async function collectGarbage(
  store: Store,
  rules: RetentionRules,
  options: GcOptions = {},
): Promise<GcReport> {
  const resolved = resolveRules(rules);
  const maxRuns = options.maxRuns ?? 1000;
  const now = options.now ?? (await store.read((tx) => tx.now()));
  const finishedRemovals = options.dryRun ? 0 : await finishRemovals(store);
  const select = (limit: number) =>
    store.read((tx) =>
      tx.selectRunsForRetention({
        statuses: resolved.statuses,
        ...(resolved.olderThanMs !== undefined ? { finishedBefore: now - resolved.olderThanMs } : {}),
        ...(resolved.workflowId !== undefined ? { workflowId: resolved.workflowId } : {}),
        ...(resolved.tenant !== undefined ? { tenant: resolved.tenant } : {}),
        ...(resolved.keepLast !== undefined ? { keepLast: resolved.keepLast } : {}),
        limit,
      }),
    );
  const runs: GcRun[] = [];
  if (options.dryRun) {
    const selected = await select(maxRuns + 1);
    for (const run of selected.slice(0, maxRuns)) runs.push(gcRun(run));
    return report(true, runs, finishedRemovals, selected.length > maxRuns);
  }
  for (;;) {
    const batch = await select(Math.min(BATCH, maxRuns - runs.length));
    let deleted = 0;
    for (const run of batch) {
      const gone = await deleteFinishedRun(store, run, resolved.statuses);
      if (!gone) continue; // resumed or restarted meanwhile: no longer finished
      deleted++;
      runs.push(gone);
      options.onDeleted?.(gone);
    }
    if (runs.length >= maxRuns) return report(false, runs, finishedRemovals, (await select(1)).length > 0);
    if (deleted === 0) return report(false, runs, finishedRemovals, false);
  }
}

/**
 * Delete one run (`DELETE /api/runs/{id}`): NOT_FOUND when it does not exist (or is another
 * tenant's), CONFLICT when it is not finished.
 */
export async function deleteOneRun(store: Store, runId: string, tenant?: string): Promise<GcRun> {
  const run = await store.getRun(runId);
  if (!run || (tenant !== undefined && run.tenant !== tenant))
    throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
  const gone = await deleteFinishedRun(store, run, FINISHED_RUN_STATUSES);
  if (!gone) {
    const now = await store.getRun(runId);
    throw new CairnError(
      "CONFLICT",
      `Run "${runId}" is ${now?.status ?? "gone"}; only a finished run (succeeded, failed, cancelled or interrupted) can be deleted. Cancel it first.`,
      { details: { status: now?.status ?? null } },
    );
  }
  return gone;
}

async function deleteFinishedRun(
  store: Store,
  run: RunRecord,
  statuses: readonly RunStatus[],
): Promise<GcRun | null> {
  if (!statuses.includes(run.status)) return null;
  const bytes = directoryBytes(run.workdir, run.id);
  const deleted = await store.transaction(async (tx) => tx.deleteRun(run.id, statuses, await tx.now()));
  if (!deleted) return null;
  await removeWorkdir(store, { id: run.id, workdir: run.workdir });
  return { ...gcRun(run), bytes };
}

/** Remove the directories of runs deleted by a gc that was interrupted before it could. */
export async function finishRemovals(store: Store): Promise<number> {
  let done = 0;
  for (;;) {
    const pending = await store.read((tx) => tx.pendingWorkdirRemovals(BATCH));
    for (const tombstone of pending) await removeWorkdir(store, tombstone);
    done += pending.length;
    if (pending.length < BATCH) return done;
  }
}

async function removeWorkdir(store: Store, run: Pick<DeletedRunRecord, "id" | "workdir">): Promise<void> {
  // Only a directory named after the run: a recorded path must never make gc remove anything else.
  if (path.basename(run.workdir) === run.id) fs.rmSync(run.workdir, { recursive: true, force: true });
  await store.transaction(async (tx) => tx.markWorkdirRemoved(run.id, await tx.now()));
}

function gcRun(run: RunRecord): GcRun {
  return {
    id: run.id,
    workflowId: run.workflowId,
    status: run.status,
    finishedAt: run.finishedAt,
    bytes: directoryBytes(run.workdir, run.id),
  };
}

function report(dryRun: boolean, runs: GcRun[], finishedRemovals: number, more: boolean): GcReport {
  return { dryRun, runs, bytes: runs.reduce((n, r) => n + r.bytes, 0), finishedRemovals, more };
}

/** Bytes of the regular files under a run's directory (symlinks are not followed). */
export function directoryBytes(dir: string, runId: string): number {
  if (path.basename(dir) !== runId) return 0;
  let total = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += fs.lstatSync(p).size;
    }
  };
  walk(dir);
  return total;
}

const AGE_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** An age such as "30d", "12h", "2w", "90m" or "45s", in ms. */
export function parseAge(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$/.exec(text);
  if (!match)
    throw new CairnError("USAGE", `${what} must be an age like "30d", "12h", "2w" or "90m", got "${text}".`);
  return Number(match[1]) * AGE_UNITS_MS[match[2] as keyof typeof AGE_UNITS_MS];
}

/**
 * Apply the rules every `intervalMs` (serve and worker), once at once. Errors go to `onError`; the
 * timer keeps going. `stop()` resolves once a pass in progress has finished.
 */
export function startRetention(
  store: Store,
  rules: RetentionRules,
  options: { intervalMs: number; onError: (error: unknown) => void; onReport?: (report: GcReport) => void },
): { stop(): Promise<void> } {
  resolveRules(rules);
  let current: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (current || stopped) return;
    current = collectGarbage(store, rules)
      .then((result) => options.onReport?.(result), options.onError)
      .finally(() => {
        current = null;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}

import type { Tracer, TracerProvider } from "@opentelemetry/api";
import type { Action } from "../core/action.js";
import type { WorkflowLike } from "../core/builder.js";
import { CairnError } from "../core/errors.js";
import type { CairnLogger } from "../core/logger.js";
import { createLogger } from "../logging/create-logger.js";
import type { Store } from "../store/store.js";

export interface CairnOptions {
  /** A SQLite file path (default `CAIRN_DB` or `.cairn/cairn.db`), or an open store. */
  db?: string | Store;
  /**
   * SQLite only (a PostgreSQL server applies its own `synchronous_commit`). Default "full".
   * - "full": every commit (a step's completion among them) is fdatasynced to the WAL, as
   *   `synchronous=FULL` does, on a background thread: a recorded step survives a process crash, an OS
   *   crash and a power loss. A run's result, API and CLI actions and the start of a non-idempotent
   *   step wait for the sync; the executor's own commits, which nobody waits for, are synced within
   *   1 ms, sharing one fdatasync, while the next idempotent step of a chain runs. After a power loss
   *   only those last unsynced steps run again; nothing acknowledged is lost.
   * - "normal": `synchronous=NORMAL`. The WAL is fsynced only at checkpoints (every ~1,000 WAL pages,
   *   about 130 recorded steps). A recorded step survives a process crash (the write has reached the
   *   OS); an OS crash or power loss may lose the commits since the last checkpoint. The file stays
   *   consistent (no half transaction), and the lost steps run again on resume or recovery, so they
   *   must be safe to repeat, as for a retry. docs/performance.md has the measured cost of each.
   */
  durability?: "full" | "normal";
  /** Tenant of runs started through this instance. Default "default". */
  tenant?: string;
  /** Execute steps in this process. Default true. */
  execute?: boolean;
  /** Execute only the runs this instance starts or resumes (the CLI's `run`). Default false. */
  onlyOwnRuns?: boolean;
  /**
   * Start the runs of the registered workflows' schedules at their ticks (one run per tick, however
   * many workers do). Default: true, unless `onlyOwnRuns`.
   */
  schedules?: boolean;
  /** Recover runs of registered workflows whose owner died, on open and every `recoveryIntervalMs`. Default true. */
  recover?: boolean;
  recoveryIntervalMs?: number;
  concurrency?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  pollIntervalMs?: number;
  abortGraceMs?: number;
  /**
   * Where Cairn logs (a pino logger, or anything with pino's error/warn/info/debug/child). Default:
   * JSON lines on stderr (readable lines on a terminal) at level `CAIRN_LOG_LEVEL`, else "warn".
   */
  logger?: CairnLogger;
  /**
   * OpenTelemetry tracing of run attempts and step executions (docs/operations.md, "Traces"): spans
   * go to this provider's tracer, and `close()` flushes the provider. Default: no tracing, and the
   * OpenTelemetry API is not even loaded.
   * @example
   * const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
   * const cairn = await Cairn.open({ tracerProvider: provider });
   */
  tracerProvider?: TracerProvider;
  /** A tracer to trace with instead of a provider's (nothing is flushed on close then). */
  tracer?: Tracer;
  /** Recorded as who asked for starts and resumes: "library", "cli", "api". */
  trigger?: string;
  clock?: () => number;
  /**
   * Loads a workflow that is not registered in this process from the file it was last loaded from
   * (resume, restart or rerun of a run whose workflow another process registered). Without it such a
   * run's workflow must be registered first. `Cairn.open` passes the file loader of `loadOneWorkflow`.
   */
  loadWorkflow?: WorkflowLoader;
  /**
   * Actions that `uses: <name>` steps of YAML and JSON workflows may call, besides the built-in
   * `http.request`, `file.read` and `file.write` (see `defineAction`).
   */
  actions?: readonly Action<never>[];
}

/** Load the workflow with this id from a file spec (`path` or `path#export`). */
export type WorkflowLoader = (file: string, workflowId: string) => Promise<WorkflowLike>;

/** What a client alone needs: where the store is, who it acts for, how it logs and waits. */
export type ClientOptions = Pick<
  CairnOptions,
  | "db"
  | "durability"
  | "tenant"
  | "logger"
  | "trigger"
  | "clock"
  | "pollIntervalMs"
  | "loadWorkflow"
  | "tracerProvider"
  | "tracer"
  | "actions"
>;

/** What a worker needs on top of its client's options: how it executes and recovers. */
export type WorkerOptions = Pick<
  CairnOptions,
  | "onlyOwnRuns"
  | "schedules"
  | "recover"
  | "recoveryIntervalMs"
  | "concurrency"
  | "leaseMs"
  | "heartbeatMs"
  | "pollIntervalMs"
  | "abortGraceMs"
>;

export type ResolvedOptions = Required<
  Omit<CairnOptions, "db" | "durability" | "loadWorkflow" | "tracerProvider" | "tracer" | "actions">
>;

/** Apply defaults and validate once; everything downstream takes the resolved, readonly options. */
export function resolveOptions(options: CairnOptions): Readonly<ResolvedOptions> {
  const leaseMs = options.leaseMs ?? 30_000;
  const resolved: ResolvedOptions = {
    tenant: options.tenant ?? "default",
    execute: options.execute ?? true,
    onlyOwnRuns: options.onlyOwnRuns ?? false,
    schedules: options.schedules ?? !(options.onlyOwnRuns ?? false),
    recover: options.recover ?? true,
    recoveryIntervalMs: options.recoveryIntervalMs ?? 5000,
    concurrency: options.concurrency ?? 8,
    leaseMs,
    heartbeatMs: options.heartbeatMs ?? Math.min(1000, Math.floor(leaseMs / 3)),
    pollIntervalMs: options.pollIntervalMs ?? 500,
    abortGraceMs: options.abortGraceMs ?? 2000,
    trigger: options.trigger ?? "library",
    logger: options.logger ?? createLogger(),
    clock: options.clock ?? Date.now,
  };
  for (const key of ["concurrency", "leaseMs", "heartbeatMs", "pollIntervalMs"] as const)
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1)
      throw new CairnError(
        "INVALID_INPUT",
        `Option ${key} must be a positive whole number, got ${resolved[key]}.`,
      );
  if (resolved.heartbeatMs >= resolved.leaseMs)
    throw new CairnError(
      "INVALID_INPUT",
      `heartbeatMs (${resolved.heartbeatMs}) must be shorter than leaseMs (${resolved.leaseMs}).`,
    );
  return resolved;
}

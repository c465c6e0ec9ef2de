import type { Command } from "commander";
import type { Cairn } from "../cairn.js";
import { CairnError } from "../core/errors.js";
import type { CairnLogger } from "../core/logger.js";
import type { Listening } from "../server/listen.js";
import {
  cliLogger,
  EXIT,
  exitCodeFor,
  type GlobalOptions,
  openCairn,
  positiveInt,
  reportFailure,
} from "./common.js";
import {
  addMetricsPortOptions,
  type MetricsPortOptions,
  metricsAddress,
  startMetricsPort,
} from "./metrics-port.js";
import {
  addRetentionOptions,
  type RetentionOptionFlags,
  retentionRules,
  startRetentionFromFlags,
} from "./retention-options.js";
import { shutdownSignal } from "./signals.js";
import { loadWorkflows } from "./workflow-files.js";

interface WorkerOptions extends RetentionOptionFlags, MetricsPortOptions {
  workflows?: string[];
  concurrency: string;
  leaseMs: string;
  heartbeatMs?: string;
}

/**
 * `cairn worker`: execute ready steps of the registered workflows, and of runs of workflows stored as
 * data (their definition comes from the store), until SIGTERM/SIGINT. Start one per machine (or
 * several) against one PostgreSQL database; they share the work.
 */
export function registerWorkerCommand(program: Command): void {
  const command = program
    .command("worker")
    .description(
      "execute ready steps of the given workflows (and of runs of workflows stored with cairn workflows push) and start their scheduled runs until stopped; run many, on many machines",
    )
    .option(
      "--workflows <paths...>",
      "workflow files, or directories of them (.yaml .yml .ts .mts .cts .js .mjs .cjs); without it, only runs of stored workflows",
    )
    .option("--concurrency <n>", "steps executed at once by this worker", "8")
    .option("--lease-ms <n>", "how long a claimed step stays this worker's without a heartbeat", "30000")
    .option(
      "--heartbeat-ms <n>",
      "how often leases are extended (default: a third of the lease, at most 1000)",
    );
  addMetricsPortOptions(addRetentionOptions(command)).action(async (opts: WorkerOptions, cmd: Command) => {
    process.exitCode = await work(opts, cmd.optsWithGlobals() as GlobalOptions);
  });
}

async function work(opts: WorkerOptions, global: GlobalOptions): Promise<number> {
  let logger: CairnLogger | undefined;
  let cairn: Cairn | undefined;
  let metrics: Listening | undefined;
  try {
    const concurrency = positiveInt(opts.concurrency, "--concurrency");
    const leaseMs = positiveInt(opts.leaseMs, "--lease-ms");
    const heartbeatMs =
      opts.heartbeatMs === undefined ? undefined : positiveInt(opts.heartbeatMs, "--heartbeat-ms");
    const retention = retentionRules(opts);
    const metricsAt = metricsAddress(opts);
    const definitions = opts.workflows ? await loadWorkflows(opts.workflows) : [];
    if (opts.workflows && definitions.length === 0)
      throw new CairnError("USAGE", `No workflow files found in ${opts.workflows.join(", ")}.`);
    // From here on stderr holds only log lines (JSON unless it is a terminal), errors included.
    logger = cliLogger(global, "info");
    cairn = await openCairn(global, {
      execute: true,
      recover: true,
      onlyOwnRuns: false,
      trigger: "worker",
      logger,
      concurrency,
      leaseMs,
      ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
      // Look for steps of dead workers at least once per lease: a takeover then waits at most ~two leases.
      recoveryIntervalMs: Math.min(5000, leaseMs),
    });
    metrics = await startMetricsPort(cairn, metricsAt);
    for (const definition of definitions) await cairn.register(definition);
    const retaining = startRetentionFromFlags(cairn, retention);
    const ids = definitions.map((d) => d.id).join(", ");
    // Listen for SIGTERM before saying "ready": one sent on seeing that line must stop us cleanly.
    const stopping = shutdownSignal();
    cairn.logger.info({ workerId: cairn.workerId, workflows: ids, concurrency, leaseMs }, "worker ready");
    const files =
      definitions.length === 0
        ? "no workflow files: stored workflows only"
        : `${definitions.length} workflow${definitions.length === 1 ? "" : "s"}: ${ids}`;
    process.stdout.write(
      `cairn worker ${cairn.workerId} ready (pid ${process.pid}; ${files}; concurrency ${concurrency}, lease ${leaseMs} ms)\n`,
    );
    await stopping;
    logger.info(
      { workerId: cairn.workerId },
      `worker ${cairn.workerId} stopping; steps in flight finish first`,
    );
    await retaining.stop();
    await cairn.close();
    await metrics?.close();
    logger.info({ workerId: cairn.workerId }, `worker ${cairn.workerId} stopped`);
    return EXIT.ok;
  } catch (error) {
    reportFailure(error, logger, global.verbose);
    await cairn?.close({ abort: true }).catch(() => undefined);
    await metrics?.close();
    return exitCodeFor(error);
  }
}

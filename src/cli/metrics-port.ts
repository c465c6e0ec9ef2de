import type { Command } from "commander";
import type { Cairn } from "../cairn.js";
import { CairnError } from "../core/errors.js";
import type { Listening } from "../server/listen.js";
import type { CairnMetrics } from "../server/metrics/cairn-metrics.js";

export interface MetricsPortOptions {
  metricsPort?: string;
  metricsHost: string;
}

/** `--metrics-port` and `--metrics-host` of `cairn worker`. */
export function addMetricsPortOptions(command: Command): Command {
  return command
    .option("--metrics-port <n>", "serve GET /metrics and GET /healthz on this port (0: any free port)")
    .option("--metrics-host <host>", "interface of the metrics port", "127.0.0.1");
}

/** Metrics counting from now: made before workflows are registered, so no claim or recovery is missed. */
export async function countMetrics(cairn: Cairn): Promise<CairnMetrics> {
  const { CairnMetrics } = await import("../server/metrics/cairn-metrics.js");
  return new CairnMetrics(cairn);
}

/** Where `--metrics-port` asks the metrics to be served (checked before anything starts), or undefined. */
export function metricsAddress(options: MetricsPortOptions): { host: string; port: number } | undefined {
  if (options.metricsPort === undefined) return undefined;
  const port = Number(options.metricsPort);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new CairnError(
      "USAGE",
      `--metrics-port must be a whole number from 0 to 65535, got "${options.metricsPort}".`,
    );
  return { host: options.metricsHost, port };
}

/**
 * Start the metrics port when asked for, before any workflow is registered (so the first claims and
 * recoveries are counted). prom-client loads only then.
 */
export async function startMetricsPort(
  cairn: Cairn,
  address: { host: string; port: number } | undefined,
): Promise<Listening | undefined> {
  if (address === undefined) return undefined;
  const { serveMetrics } = await import("../server/metrics/metrics-server.js");
  const { host, port } = address;
  const server = await serveMetrics(cairn, await countMetrics(cairn), { host, port }).catch(
    (cause: Error) => {
      throw new CairnError("USAGE", `Cannot listen on ${host}:${port}: ${cause.message}.`, { cause });
    },
  );
  process.stdout.write(`cairn worker metrics on ${server.url}/metrics and ${server.url}/healthz\n`);
  return server;
}

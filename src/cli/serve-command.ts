import fs from "node:fs";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { Cairn } from "../cairn.js";
import { CairnError } from "../core/errors.js";
import type { CairnLogger } from "../core/logger.js";
import type { Listening } from "../server/listen.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "../server/options.js";
import { cliLogger, EXIT, exitCodeFor, type GlobalOptions, openCairn, reportFailure } from "./common.js";
import { countMetrics } from "./metrics-port.js";
import {
  addRetentionOptions,
  type RetentionOptionFlags,
  retentionRules,
  startRetentionFromFlags,
} from "./retention-options.js";
import { shutdownSignal } from "./signals.js";
import { registerWorkflows } from "./workflow-files.js";

/** The built web UI, next to the package root (dist/cli/… and src/cli/… are both two levels down). */
const WEB_DIST = fileURLToPath(new URL("../../web/dist", import.meta.url));

interface ServeOptions extends RetentionOptionFlags {
  host: string;
  port: string;
  workflows?: string[];
  worker: boolean;
  auth: boolean;
  bodyLimit: string;
  allowApiShell?: boolean;
}

export function registerServeCommand(program: Command): void {
  const command = program
    .command("serve")
    .description(
      "serve the HTTP API (and the web UI when built) with the stuck-run reaper and an embedded worker (which also starts scheduled runs)",
    )
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--port <n>", "port to listen on (0: any free port)", "7420")
    .option("--workflows <paths...>", "workflow files, or directories of them, to register")
    .option("--no-worker", "do not execute steps or start scheduled runs here; leave them to other workers")
    .option(
      "--no-auth",
      'accept requests without tokens as tenant "default" (local development, loopback only)',
    )
    .option("--body-limit <bytes>", "largest request body accepted", String(DEFAULT_BODY_LIMIT_BYTES))
    .option(
      "--allow-api-shell",
      "accept run: shell steps and uses: of a file in workflows stored over the API (PUT /api/workflows/{id}); without it they are refused: any token that may store a workflow could run commands here",
    );
  addRetentionOptions(command).action(async (opts: ServeOptions, cmd: Command) => {
    process.exitCode = await serve(opts, cmd.optsWithGlobals() as GlobalOptions);
  });
}

async function serve(opts: ServeOptions, global: GlobalOptions): Promise<number> {
  let logger: CairnLogger | undefined;
  let cairn: Cairn | undefined;
  let server: Listening | undefined;
  let retaining: { stop(): Promise<void> } = { stop: async () => undefined };
  try {
    const port = wholeNumber(opts.port, "--port", 0, 65_535);
    const bodyLimitBytes = wholeNumber(opts.bodyLimit, "--body-limit", 1, Number.MAX_SAFE_INTEGER);
    if (!opts.auth && !isLoopback(opts.host))
      throw new CairnError(
        "USAGE",
        `--no-auth is only allowed with a loopback --host (127.0.0.1, ::1 or localhost), not "${opts.host}".`,
      );
    const retention = retentionRules(opts);
    // From here on stderr holds only log lines (JSON unless it is a terminal), errors included.
    logger = cliLogger(global, "info");
    cairn = await openCairn(global, {
      execute: opts.worker,
      recover: true,
      onlyOwnRuns: false,
      trigger: "api",
      logger,
    });
    const metrics = await countMetrics(cairn);
    const workflows = await registerWorkflows(cairn, opts.workflows ?? []);
    retaining = startRetentionFromFlags(cairn, retention);
    // The HTTP stack (hono, zod and the OpenAPI schemas) loads only for `serve`: the other commands
    // start ~100 ms sooner without it.
    const [{ createApp }, { listen }] = await Promise.all([
      import("../server/app.js"),
      import("../server/listen.js"),
    ]);
    const app = createApp({
      cairn,
      auth: opts.auth ? "tokens" : "none",
      bodyLimitBytes,
      staticDir: fs.existsSync(WEB_DIST) ? WEB_DIST : null,
      metrics,
      allowApiShell: opts.allowApiShell === true,
    });
    server = await listen(app, { host: opts.host, port }).catch((cause: Error) => {
      throw new CairnError("USAGE", `Cannot listen on ${opts.host}:${port}: ${cause.message}.`, { cause });
    });
    if (!opts.auth)
      logger.warn(
        { auth: "none" },
        'WARNING: --no-auth: every request acts as tenant "default" without a token. Local development only.',
      );
    // Listen for SIGTERM before printing the URL: one sent on seeing that line must stop us cleanly.
    const stopping = shutdownSignal();
    const worker = opts.worker ? "worker on" : "no worker";
    process.stdout.write(
      `Cairn API listening on ${server.url} (${workflows} workflow${workflows === 1 ? "" : "s"}, ${worker})\n`,
    );
    await stopping;
    logger.info({}, "shutting down");
    await retaining.stop();
    await server.close();
    await cairn.close();
    return EXIT.ok;
  } catch (error) {
    reportFailure(error, logger, global.verbose);
    await retaining.stop();
    await server?.close();
    await cairn?.close().catch(() => undefined);
    return exitCodeFor(error);
  }
}

function isLoopback(host: string): boolean {
  return (
    host === "localhost" ||
    host === "::1" ||
    host === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

function wholeNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CairnError("USAGE", `${flag} must be a whole number from ${min} to ${max}, got "${value}".`);
  return n;
}

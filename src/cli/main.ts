import fs from "node:fs";
import { Command, CommanderError } from "commander";
import type { Cairn } from "../cairn.js";
import { CairnError } from "../core/errors.js";
import { EXIT, exitCodeFor, type GlobalOptions, openCairn, type Runner } from "./common.js";
import { bindEnvironment } from "./environment.js";
import { registerFilesCommand } from "./files-command.js";
import { withFlags } from "./flag-hints.js";
import { registerGcCommand } from "./gc-command.js";
import { registerInspectCommands } from "./inspect-commands.js";
import { registerMigrateCommand } from "./migrate-command.js";
import { registerRunCommands } from "./run-commands.js";
import { registerSchedulesCommand } from "./schedules-command.js";
import { registerServeCommand } from "./serve-command.js";
import { registerSignalCommand } from "./signal-command.js";
import { registerTokenCommands } from "./token-commands.js";
import { registerValidateCommand } from "./validate-command.js";
import { registerWorkerCommand } from "./worker-command.js";
import { registerWorkflowsCommands } from "./workflows-command.js";

/** Commands about runs that already exist: they never create a store (see openCairn's `mustExist`). */
const NEED_A_STORE = new Set([
  "ls",
  "show",
  "logs",
  "history",
  "resume",
  "restart",
  "rerun",
  "cancel",
  "pause",
  "schedules",
]);

/** Run one command against a Cairn instance; errors become one sentence on stderr and an exit code. */
const runner: Runner = async (command, action, options = {}) => {
  const global = command.optsWithGlobals() as GlobalOptions;
  let cairn: Cairn | undefined;
  let code: number;
  try {
    if (global.durability !== undefined && global.durability !== "full" && global.durability !== "normal")
      throw new CairnError("USAGE", `--durability must be "full" or "normal".`);
    // Checks that need no store run first, so a typo never creates a .cairn/ directory.
    await options.prepare?.();
    cairn = await openCairn(
      global,
      { execute: options.execute ?? true },
      { mustExist: NEED_A_STORE.has(command.name()) },
    );
    code = await action(cairn, global);
  } catch (error) {
    code = reportError(error, global.verbose === true);
  }
  await cairn?.close().catch(() => undefined);
  process.exitCode = code;
};

function reportError(error: unknown, verbose: boolean): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`cairn: ${withFlags(message, error)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return exitCodeFor(error);
}

/** The package's version (package.json sits two levels above both src/cli and dist/cli). */
function packageVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command("cairn")
    .description(
      "Durable workflow runs that pick up exactly where they stopped. (cairn --version prints the version.)",
    )
    .option(
      "--db <location>",
      "store: a SQLite file or a postgres:// URL (default $CAIRN_DB or .cairn/cairn.db)",
    )
    .option("--durability <mode>", "SQLite durability: full (default) or normal")
    .option("--json", "machine-readable JSON on stdout, nothing else")
    .option("--verbose", "stack traces on errors")
    .option(
      "--log-level <level>",
      "fatal, error, warn, info, debug, trace or silent (default $CAIRN_LOG_LEVEL, else info for serve and worker, warn otherwise)",
    )
    .configureOutput({
      // Usage errors are one sentence like every other error.
      outputError: (text, write) => write(`cairn: ${text.replace(/^error: /, "").trim()} (see --help)\n`),
    })
    .exitOverride();
  registerRunCommands(program, runner);
  registerSignalCommand(program, runner);
  registerSchedulesCommand(program, runner);
  registerInspectCommands(program, runner);
  registerFilesCommand(program, runner);
  registerGcCommand(program, runner);
  registerServeCommand(program);
  registerTokenCommands(program, runner);
  registerWorkflowsCommands(program, runner);
  registerWorkerCommand(program);
  registerMigrateCommand(program);
  // The long-running commands are configured from the environment too (containers, systemd units).
  for (const command of program.commands)
    if (command.name() === "serve" || command.name() === "worker") bindEnvironment(command);
  bindEnvironment(program, { only: ["--durability"] });
  registerValidateCommand(program, (error) => reportError(error, program.opts().verbose === true));
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // Cairn's version only as the first argument: after a command, --version is that command's
  // (cairn run etl --version 3f9a…), which a root option would take wherever it stood.
  if (argv[2] === "--version") {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    process.exitCode = reportError(error, argv.includes("--verbose"));
  }
}

import type { Command } from "commander";
import { CairnClient } from "../engine/client.js";
import { cliLogger, EXIT, exitCodeFor, type GlobalOptions, printJson } from "./common.js";

/**
 * `cairn migrate`: bring the store's schema up to date and report its version. Every command migrates
 * on open as well; this one lets an operator do it on purpose, before new workers roll out.
 */
export function registerMigrateCommand(program: Command): void {
  program
    .command("migrate")
    .description("apply the store's schema migrations (PostgreSQL or SQLite) and report the schema version")
    .action(async (_opts: unknown, command: Command) => {
      process.exitCode = await migrateStore(command.optsWithGlobals() as GlobalOptions);
    });
}

async function migrateStore(global: GlobalOptions): Promise<number> {
  let client: CairnClient | undefined;
  try {
    // Opening the store applies the migrations.
    client = await CairnClient.open({
      logger: cliLogger(global),
      ...(global.db ? { db: global.db } : {}),
      ...(global.durability ? { durability: global.durability } : {}),
    });
    const { current, known } = await client.schemaVersion();
    if (global.json) printJson({ schemaVersion: current, latest: known });
    else
      process.stdout.write(
        `Store ${client.storeKind === "postgres" ? "(PostgreSQL)" : "(SQLite)"} is at schema version ${current} (the latest this Cairn knows: ${known}).\n`,
      );
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(`cairn: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodeFor(error);
  } finally {
    await client?.close().catch(() => undefined);
  }
}

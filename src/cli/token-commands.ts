import type { Command } from "commander";
import { createToken, revokeToken } from "../server/tokens.js";
import type { TokenRecord } from "../store/tokens.js";
import type { Runner } from "./common.js";
import { EXIT, printJson } from "./common.js";

function tokenJson(t: TokenRecord) {
  return {
    id: t.id,
    tenant: t.tenant,
    name: t.name,
    readOnly: t.readOnly,
    createdAt: t.createdAt,
    revokedAt: t.revokedAt,
  };
}

function tokenLine(t: TokenRecord): string {
  const state = t.revokedAt === null ? "" : `  revoked ${new Date(t.revokedAt).toISOString()}`;
  return `${t.id}  ${t.tenant}  ${t.readOnly ? "read-only " : "read-write"}  ${t.name ?? "-"}  created ${new Date(t.createdAt).toISOString()}${state}`;
}

export function registerTokenCommands(program: Command, runner: Runner): void {
  const token = program
    .command("token")
    .description("API tokens: create, list, revoke (the store keeps only a hash)");

  token
    .command("create")
    .description("create a token for a tenant and print it once")
    .requiredOption("--tenant <tenant>", "the tenant whose runs the token sees and acts on")
    .option("--read-only", "may read everything of the tenant, act on nothing")
    .option("--name <name>", "a name to recognise the token by in `cairn token ls`")
    .action(async (opts, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          const { token: secret, record } = await createToken(cairn.tokens, {
            tenant: opts.tenant,
            readOnly: opts.readOnly === true,
            name: opts.name ?? null,
          });
          if (global.json) printJson({ ...tokenJson(record), token: secret });
          else {
            // Only the token on stdout, so `TOKEN=$(cairn token create …)` works.
            process.stdout.write(`${secret}\n`);
            process.stderr.write(
              `Created token ${record.id} for tenant "${record.tenant}"${record.readOnly ? " (read-only)" : ""}. It is shown only this once: store it now.\n`,
            );
          }
          return EXIT.ok;
        },
        { execute: false },
      ),
    );

  token
    .command("ls")
    .description("list tokens (ids, tenants, names; never the tokens themselves)")
    .action(async (_opts, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          const tokens = await cairn.tokens.listTokens();
          if (global.json) printJson(tokens.map(tokenJson));
          else process.stdout.write(tokens.length ? `${tokens.map(tokenLine).join("\n")}\n` : "No tokens.\n");
          return EXIT.ok;
        },
        { execute: false },
      ),
    );

  token
    .command("revoke")
    .description("revoke a token: requests with it get 401 from now on")
    .argument("<id>", "the token's id (from `cairn token ls`)")
    .action(async (id: string, _opts, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          await revokeToken(cairn.tokens, id);
          if (global.json) printJson({ id, revoked: true });
          else process.stdout.write(`Revoked token ${id}.\n`);
          return EXIT.ok;
        },
        { execute: false },
      ),
    );
}

import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { CairnError } from "../core/errors.js";
import { workflowJsonSchema } from "../yaml/definition-schema.js";
import type { Runner } from "./common.js";
import { EXIT, printJson } from "./common.js";

/** The format of a definition file, from its name; YAML or JSON only (a module is code, not data). */
function formatOf(file: string): "yaml" | "json" {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".json") return "json";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  throw new CairnError("USAGE", `${file} is not a YAML or JSON file; only those can be stored as data.`);
}

/** The `id` a definition names, read before it is validated (validation reports it if missing). */
async function idOf(text: string, format: "yaml" | "json"): Promise<string> {
  let data: unknown;
  try {
    data = format === "json" ? JSON.parse(text) : (await import("yaml")).parse(text);
  } catch {
    data = null;
  }
  const id = (data as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : "";
}

export function registerWorkflowsCommands(program: Command, runner: Runner): void {
  const workflows = program
    .command("workflows")
    .description("workflows stored as data (YAML or JSON), versioned by content, per tenant");

  workflows
    .command("push <file>")
    .description("validate a YAML or JSON workflow and store it as a version; print the version")
    .option("--tenant <tenant>", "the tenant that owns the stored workflow", "default")
    .option(
      "--allow-shell",
      "accept run: shell steps and uses: of a file (refused by default, as over the API)",
    )
    .action(async (file: string, opts: { tenant: string; allowShell?: boolean }, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          if (!fs.existsSync(file)) throw new CairnError("USAGE", `Workflow file ${file} does not exist.`);
          const format = formatOf(file);
          const text = fs.readFileSync(file, "utf8");
          const id = await idOf(text, format);
          if (!id)
            throw new CairnError("INVALID_DEFINITION", `${file} names no workflow id (a top-level "id").`);
          const stored = await cairn.storeWorkflow(id, text, {
            format,
            tenant: opts.tenant,
            allowCode: opts.allowShell === true,
            sourceName: file,
          });
          if (global.json) printJson(stored);
          else
            process.stdout.write(
              `${stored.created ? "Stored" : "Unchanged:"} workflow "${id}" version ${stored.version} (tenant "${opts.tenant}")\n`,
            );
          return EXIT.ok;
        },
        { execute: false },
      ),
    );

  workflows
    .command("schema")
    .description("print the JSON Schema of the YAML/JSON definition format (for editors and graph builders)")
    .action(() => {
      process.stdout.write(`${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
    });

  workflows
    .command("versions <id>")
    .description("list a workflow's stored versions, newest first")
    .option("--tenant <tenant>", "the tenant that owns the stored workflow", "default")
    .action(async (id: string, opts: { tenant: string }, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          const versions = await cairn.workflowVersions(id, opts.tenant);
          if (global.json) printJson({ versions });
          else
            for (const v of versions)
              process.stdout.write(`${v.version}  ${new Date(v.createdAt).toISOString()}\n`);
          return EXIT.ok;
        },
        { execute: false },
      ),
    );
}

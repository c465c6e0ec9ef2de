import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { CairnError } from "../core/errors.js";
import { listRunFiles, type RunFileListing, resolveRunFile } from "../engine/run-files.js";
import { humanBytes } from "./bytes.js";
import { EXIT, printJson, type Runner } from "./common.js";

export function registerFilesCommand(program: Command, runner: Runner): void {
  program
    .command("files")
    .description("list the files in a run's directory, or write one of them to stdout (or --out)")
    .argument("<runId>")
    .argument("[path]", "a file, relative to the run directory")
    .option("--out <file>", "write the file here instead of stdout")
    .action(async (runId: string, rel: string | undefined, opts: { out?: string }, command: Command) =>
      runner(
        command,
        async (cairn, global) => {
          const run = await cairn.run(runId);
          if (!run) throw new CairnError("NOT_FOUND", `Run "${runId}" does not exist.`);
          if (rel === undefined) {
            if (opts.out !== undefined) throw new CairnError("USAGE", "--out needs a file path to write.");
            const listing = await listRunFiles(run, await cairn.steps(runId));
            if (global.json) printJson(listing);
            else process.stdout.write(listingText(run.workdir, listing));
            return EXIT.ok;
          }
          let file: { absolute: string };
          try {
            file = resolveRunFile(run, rel);
          } catch (error) {
            if (error instanceof CairnError && error.code === "INVALID_INPUT")
              throw new CairnError("USAGE", error.message);
            throw error;
          }
          const target = opts.out === undefined ? process.stdout : fs.createWriteStream(opts.out);
          await pipeline(fs.createReadStream(file.absolute), target);
          return EXIT.ok;
        },
        { execute: false },
      ),
    );
}

function listingText(workdir: string, listing: RunFileListing): string {
  if (!listing.present) return `The run directory ${workdir} is not on this machine (or was removed).\n`;
  const lines = listing.files.map((f) => {
    const mark = f.declared ? `  output of ${f.declared.stepId}: ${f.declared.state}` : "";
    return `${humanBytes(f.size).padStart(8)}  ${new Date(f.modifiedAt).toISOString()}  ${f.path}${mark}`;
  });
  for (const d of listing.declared.filter((x) => x.state === "missing"))
    lines.push(`${"-".padStart(8)}  ${"-".padEnd(24)}  ${d.path}  output of ${d.stepId}: missing`);
  if (listing.truncated) lines.push(`(listing stopped at ${listing.files.length} files)`);
  const header = `${path.resolve(workdir)}`;
  return `${[header, ...(lines.length ? lines : ["No files."])].join("\n")}\n`;
}

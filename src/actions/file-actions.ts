import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { defineAction } from "../core/action.js";

/**
 * The absolute path of `rel` inside the run directory, or an error: absolute paths, `..` and
 * symlinks that lead out of the run directory are refused (the run directory is the action's whole
 * world; a definition sent over the API must not reach the server's other files).
 */
export function insideWorkdir(workdir: string, rel: string): string {
  const refuse = (why: string) => new Error(`path "${rel}" is refused: ${why}`);
  if (rel.includes("\0")) throw refuse("it contains a NUL character");
  if (path.isAbsolute(rel)) throw refuse("it must be relative to the run directory");
  if (rel.split(/[\\/]/).includes("..")) throw refuse("it must not contain .. segments");
  fs.mkdirSync(workdir, { recursive: true });
  const root = fs.realpathSync(workdir);
  const target = path.resolve(root, rel);
  // The nearest existing ancestor decides where a symlink leads.
  let existing = target;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  const real = fs.realpathSync(existing);
  if (real !== root && !real.startsWith(root + path.sep)) throw refuse("it leads out of the run directory");
  return path.join(real, path.relative(existing, target));
}

const relativePath = z.string().min(1).max(4096);

/** `uses: file.read`: a file of the run directory, as text or (`format: json`) parsed. */
export const fileRead = defineAction({
  name: "file.read",
  version: 1,
  description: "Read a file of the run directory; output its text, or its parsed JSON.",
  params: z.strictObject({ path: relativePath, format: z.enum(["text", "json"]).default("text") }),
  handler(params, ctx) {
    const file = insideWorkdir(ctx.run.workdir, params.path);
    if (!fs.existsSync(file)) throw new Error(`file "${params.path}" does not exist in the run directory`);
    const text = fs.readFileSync(file, "utf8");
    if (params.format === "text") return text;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new Error(`file "${params.path}" is not JSON: ${(error as Error).message}`);
    }
  },
});

/**
 * `uses: file.write`: write `content` to a file of the run directory (directories are created); a
 * string is written as is, any other value as JSON. Output `{ path, bytes }`.
 */
export const fileWrite = defineAction({
  name: "file.write",
  version: 1,
  description: "Write a file in the run directory; output { path, bytes }.",
  params: z.strictObject({ path: relativePath, content: z.json() }),
  handler(params, ctx) {
    const file = insideWorkdir(ctx.run.workdir, params.path);
    const text =
      typeof params.content === "string" ? params.content : `${JSON.stringify(params.content, null, 2)}\n`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return { path: params.path, bytes: Buffer.byteLength(text) };
  },
});

import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CairnError } from "../core/errors.js";
import type { RunRecord, StepRecord } from "../core/types.js";

/**
 * The files in a run's working directory (its artefacts), read by the process that asks: the CLI and
 * the API can only serve what is on their own file system (with several machines, runs' directories
 * must be on shared storage for that; see docs/operations.md).
 */

/** A declared output of a step: the digest recorded when the step succeeded, and the file now. */
export interface DeclaredFile {
  readonly path: string;
  readonly stepId: string;
  /** SHA-256 recorded with the step's completion. */
  readonly digest: string;
  /** "matches": the file is as recorded; "changed": it differs; "missing": it is gone. */
  readonly state: "matches" | "changed" | "missing";
}

export interface RunFile {
  /** Relative to the run directory, with `/` separators. */
  readonly path: string;
  readonly size: number;
  readonly modifiedAt: number;
  /** Set when a step declared this file as an output. */
  readonly declared: DeclaredFile | null;
}

export interface RunFileListing {
  /** false when the run's directory is not on this machine's file system (or was removed). */
  readonly present: boolean;
  readonly files: RunFile[];
  /** Every declared output of the run's succeeded steps, including missing ones. */
  readonly declared: DeclaredFile[];
  /** More than `MAX_LISTED_FILES` files: the listing stops there. */
  readonly truncated: boolean;
}

/** A listing is bounded: a run that wrote a million scratch files must not stall a request. */
export const MAX_LISTED_FILES = 10_000;

/** SHA-256 of a file, streamed (a large output must not block the event loop); null when absent. */
export function digestFile(absolute: string): Promise<string | null> {
  return new Promise((resolve) => {
    const hash = createHash("sha256");
    const stream = fs.createReadStream(absolute);
    stream.on("data", (chunk) => hash.update(chunk));
    stream.on("error", () => resolve(null));
    stream.on("end", () => resolve(hash.digest("hex")));
  });
}

/** The declared outputs of a run's steps with their recorded digests, compared with the files now. */
export async function declaredFiles(run: RunRecord, steps: readonly StepRecord[]): Promise<DeclaredFile[]> {
  const out: DeclaredFile[] = [];
  for (const step of steps) {
    for (const [rel, digest] of Object.entries(step.files ?? {})) {
      const now = await digestFile(path.join(run.workdir, rel));
      const state = now === null ? "missing" : now === digest ? "matches" : "changed";
      out.push({ path: rel, stepId: step.stepId, digest, state });
    }
  }
  return out;
}

/** Every regular file under the run's directory (symlinks only when they stay inside it). */
export async function listRunFiles(run: RunRecord, steps: readonly StepRecord[]): Promise<RunFileListing> {
  const declared = await declaredFiles(run, steps);
  const root = realDir(run.workdir);
  if (root === null) return { present: false, files: [], declared, truncated: false };
  const byPath = new Map(declared.map((d) => [d.path, d]));
  const files: RunFile[] = [];
  let truncated = false;
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => cmp(a.name, b.name))) {
      if (files.length >= MAX_LISTED_FILES) {
        truncated = true;
        return;
      }
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(absolute);
      else if (entry.isFile() || (entry.isSymbolicLink() && inside(root, absolute))) {
        const stat = statOrNull(absolute);
        if (!stat?.isFile()) continue;
        const rel = path.relative(root, absolute).split(path.sep).join("/");
        files.push({ path: rel, size: stat.size, modifiedAt: Math.round(stat.mtimeMs), declared: null });
      }
    }
  };
  walk(root);
  return {
    present: true,
    files: files.map((f) => ({ ...f, declared: byPath.get(f.path) ?? null })),
    declared,
    truncated,
  };
}

/**
 * The absolute path of one file of the run, or a clear refusal: the path must be relative, must not
 * climb out (`..`), and must not lead out of the run directory through a symlink.
 */
export function resolveRunFile(run: RunRecord, rel: string): { absolute: string; size: number } {
  const refuse = (why: string) =>
    new CairnError("INVALID_INPUT", `File path "${rel}" is refused: ${why}.`, { details: { path: rel } });
  if (rel.length === 0 || rel.length > 4096) throw refuse("it must be 1 to 4,096 characters");
  if (rel.includes("\0")) throw refuse("it contains a NUL character");
  if (rel.includes("\\")) throw refuse("use / to separate directories");
  if (rel.startsWith("/") || path.isAbsolute(rel)) throw refuse("it must be relative to the run directory");
  if (rel.split("/").some((part) => part === ".." || part === "."))
    throw refuse("it must not contain . or .. segments");
  const notFound = () =>
    new CairnError("NOT_FOUND", `Run "${run.id}" has no file "${rel}".`, { details: { path: rel } });
  const root = realDir(run.workdir);
  if (root === null)
    throw new CairnError(
      "NOT_FOUND",
      `The directory of run "${run.id}" is not on this machine (or was removed).`,
      { details: { path: rel } },
    );
  let real: string;
  try {
    real = fs.realpathSync(path.join(root, rel));
  } catch {
    throw notFound();
  }
  if (!inside(root, real)) throw refuse("it leads out of the run directory");
  const stat = statOrNull(real);
  if (!stat?.isFile()) throw notFound();
  return { absolute: real, size: stat.size };
}

const CONTENT_TYPES: Record<string, string> = {
  ".txt": "text/plain; charset=utf-8",
  ".log": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".tsv": "text/tab-separated-values; charset=utf-8",
  ".json": "application/json",
  ".jsonl": "application/x-ndjson",
  ".ndjson": "application/x-ndjson",
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".xml": "application/xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
};

/** The content type a file is served with, from its extension. */
export function contentTypeOf(rel: string): string {
  return CONTENT_TYPES[path.extname(rel).toLowerCase()] ?? "application/octet-stream";
}

function realDir(dir: string): string | null {
  try {
    const real = fs.realpathSync(dir);
    return fs.statSync(real).isDirectory() ? real : null;
  } catch {
    return null;
  }
}

/** Whether `candidate` (resolved through symlinks) is inside the directory `root` (already real). */
function inside(root: string, candidate: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch {
    return false;
  }
  const rel = path.relative(root, real);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function statOrNull(absolute: string): fs.Stats | null {
  try {
    return fs.statSync(absolute);
  } catch {
    return null;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

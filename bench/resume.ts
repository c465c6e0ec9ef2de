import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { type BenchContext, type ChildExit, ROOT, spawnChild, tempDir } from "./report.js";

/**
 * Resume of a long run, in a fresh process on the built package: after a failure at step N-1, and
 * after a SIGKILL half way. Times are measured from the spawn of the resuming process.
 */
interface Marks {
  processStart: number;
  imported: number;
  opened: number;
  resumeCalled: number;
  resumeReturned: number;
  firstStep: number;
  done: number;
}

/** resume-child.mjs with no time limit beyond the default: it is SIGKILLed on purpose in "kill" mode. */
const node = (args: Record<string, unknown>): Promise<ChildExit> => spawnChild("resume-child.mjs", args);

/** dist/ must be at least as new as src/, or the resuming process would time old code. */
export function ensureDist(ctx: BenchContext): string | null {
  const newest = (dir: string): number =>
    fs
      .readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith(".ts"))
      .reduce((m, e) => Math.max(m, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs), 0);
  const built = path.join(ROOT, "dist/index.js");
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest(path.join(ROOT, "src"))) return null;
  ctx.log("dist/ is older than src/; building it (npm run build)");
  const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
  const build = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (build.status !== 0) return `the build failed: ${(build.stdout + build.stderr).split("\n")[0]}`;
  return null;
}

function copyStore(from: string, to: string): void {
  for (const suffix of ["", "-wal", "-shm"])
    if (fs.existsSync(from + suffix)) fs.copyFileSync(from + suffix, to + suffix);
}

export async function resume(ctx: BenchContext): Promise<void> {
  const unbuilt = ensureDist(ctx);
  if (unbuilt) {
    ctx.skipped.push({ scenario: "resume", reason: unbuilt });
    return;
  }
  const n = ctx.quick ? 500 : 10_000;
  const cases = [
    { kind: "fail", at: n - 2, label: `failed at step ${(n - 1).toLocaleString("en-US")}` },
    { kind: "kill", at: n / 2 - 1, label: `SIGKILL at step ${(n / 2).toLocaleString("en-US")}` },
  ] as const;
  for (const c of cases) {
    const dir = tempDir("resume");
    const db = path.join(dir, "setup.db");
    const runId = `bench-${c.kind}`;
    ctx.log(`resume: setting up a ${n}-step run, ${c.label}`);
    const setup = await node({ mode: c.kind, db, n, at: c.at, runId });
    const expected = c.kind === "kill" ? setup.signal === "SIGKILL" : setup.out.includes('"failed"');
    if (!expected)
      throw new Error(
        `resume setup (${c.kind}) went wrong: ${setup.code ?? setup.signal}\n${setup.out}\n${setup.err}`,
      );
    const marks: Marks[] = [];
    for (let rep = 0; rep < ctx.reps; rep++) {
      const copy = path.join(dir, `rep${rep}.db`);
      copyStore(db, copy);
      const spawnedAt = performance.timeOrigin + performance.now();
      const r = await node({ mode: "resume", db: copy, n, runId });
      if (r.code !== 0)
        throw new Error(`resume (${c.kind}) exited with ${r.code ?? r.signal}\n${r.out}\n${r.err}`);
      const m = JSON.parse(r.out.trim().split("\n").at(-1)!) as Marks;
      marks.push({ ...m, processStart: spawnedAt });
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const label = `${n.toLocaleString("en-US")} steps, ${c.label}`;
    const since = (from: keyof Marks, to: keyof Marks) => marks.map((m) => m[to] - m[from]);
    ctx.figures.push(
      {
        scenario: "resume",
        name: `${label}: spawn → first new step`,
        unit: "ms",
        values: since("processStart", "firstStep"),
        floor: "sqlite-full",
      },
      {
        scenario: "resume",
        name: `${label}: spawn → run finished`,
        unit: "ms",
        values: since("processStart", "done"),
        floor: "sqlite-full",
      },
      {
        scenario: "resume",
        name: `${label}: resume() call → first new step`,
        unit: "ms",
        values: since("resumeCalled", "firstStep"),
        floor: "sqlite-full",
      },
      {
        scenario: "resume",
        name: `${label}: resume() call → run finished`,
        unit: "ms",
        values: since("resumeCalled", "done"),
        floor: "sqlite-full",
      },
      {
        scenario: "resume",
        name: `${label}: of which spawn → modules loaded`,
        unit: "ms",
        values: since("processStart", "imported"),
      },
      {
        scenario: "resume",
        name: `${label}: of which open + register`,
        unit: "ms",
        values: since("imported", "opened"),
      },
    );
  }
}

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

/** Shared by every scenario: figures, statistics, the table, the JSON file and child processes. */

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, "..");
export const PG_URL = process.env.CAIRN_BENCH_PG ?? "postgres://postgres@127.0.0.1:5432/test";

/** Which floor a figure is compared with: the cost of one single-row commit on the same store. */
export type FloorKey = "sqlite-full" | "sqlite-normal" | "postgres";

export interface Figure {
  scenario: string;
  name: string;
  unit: string;
  values: number[];
  /**
   * For time figures: the floor to divide by. The ratio is the figure's time (per step for a
   * per-step figure, the whole wall time otherwise) divided by one floor commit.
   */
  floor?: FloorKey;
  /** For throughput figures (per second): divide the floor's commits/s by this instead. */
  perSecond?: boolean;
  note?: string;
}

export interface Skipped {
  scenario: string;
  reason: string;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarise(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

export interface BenchContext {
  quick: boolean;
  reps: number;
  /** Floor: µs per single-row commit, median of the repetitions, by store. */
  floors: Partial<Record<FloorKey, number>>;
  figures: Figure[];
  skipped: Skipped[];
  log(line: string): void;
}

/** The figure's ratio to its floor, or null when it has none (bytes, MiB) or the floor is missing. */
export function floorRatio(figure: Figure, floors: BenchContext["floors"]): number | null {
  if (!figure.floor) return null;
  const floorUs = floors[figure.floor];
  if (floorUs === undefined) return null;
  const { median } = summarise(figure.values);
  if (figure.perSecond) return 1e6 / floorUs / median;
  const us = figure.unit === "ms" ? median * 1000 : figure.unit === "s" ? median * 1e6 : median;
  return us / floorUs;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString("en-US");
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function formatTable(ctx: BenchContext): string {
  const header = ["scenario", "figure", "median", "min", "max", "unit", "× floor"];
  const rows: string[][] = [];
  for (const f of ctx.figures) {
    const s = summarise(f.values);
    const ratio = floorRatio(f, ctx.floors);
    rows.push([
      f.scenario,
      f.name,
      fmt(s.median),
      fmt(s.min),
      fmt(s.max),
      f.unit,
      ratio === null ? "" : `${ratio.toFixed(2)} (${f.floor})`,
    ]);
  }
  for (const s of ctx.skipped) rows.push([s.scenario, `skipped: ${s.reason}`, "", "", "", "", ""]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (i === 1 && r[1]!.startsWith("skipped") ? 0 : r[i]!.length))),
  );
  const line = (cells: string[]) =>
    cells[1]!.startsWith("skipped")
      ? `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]}`
      : cells
          .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
          .join("  ")
          .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export async function machineInfo(): Promise<Record<string, unknown>> {
  const cpus = os.cpus();
  const sqlite = (new Database(":memory:").prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
  return {
    host: os.hostname(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryMiB: Math.round(os.totalmem() / 1048576),
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
    node: process.version,
    sqlite,
    postgres: await postgresVersion(),
    tmpdir: os.tmpdir(),
  };
}

async function postgresVersion(): Promise<string | null> {
  const client = await connectPg();
  if (!client) return null;
  try {
    const { rows } = await client.query("SHOW server_version");
    return String(rows[0]?.server_version ?? "unknown");
  } finally {
    await client.end();
  }
}

/** The slice of a pg client the bench uses. */
export interface PgClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}

/** A connected client, or null when the server cannot be reached (the PostgreSQL rows are then skipped). */
export async function connectPg(): Promise<PgClient | null> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return client as unknown as PgClient;
  } catch {
    await client.end().catch(() => undefined);
    return null;
  }
}

export function writeResults(
  ctx: BenchContext,
  machine: Record<string, unknown>,
  startedAt: Date,
  wallMs: number,
): string {
  const dir = path.join(BENCH_DIR, "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  const body = {
    startedAt: startedAt.toISOString(),
    wallSeconds: Number((wallMs / 1000).toFixed(1)),
    mode: ctx.quick ? "quick" : "default",
    repetitions: ctx.reps,
    machine,
    floorsUsPerCommit: ctx.floors,
    figures: ctx.figures.map((f) => ({
      ...f,
      ...summarise(f.values),
      floorRatio: floorRatio(f, ctx.floors),
    })),
    skipped: ctx.skipped,
  };
  fs.writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cairn-bench-${prefix}-`));
}

/** How a child process ended, with everything it printed. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
}

/** Run a bench file in its own process and collect its output; TypeScript files run through tsx. */
export function spawnChild(
  script: string,
  args: Record<string, unknown>,
  options: { nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<ChildExit> {
  const file = path.join(BENCH_DIR, script);
  const loader = file.endsWith(".ts") ? ["--import", "tsx"] : [];
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...loader, ...(options.nodeArgs ?? []), file, JSON.stringify(args)],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

/**
 * Run a scenario file in its own process (so its peak RSS is its own) and return the JSON it prints
 * on its last stdout line.
 */
export async function runChild<T>(
  script: string,
  args: Record<string, unknown>,
  options: { nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<T> {
  const { code, signal, out, err } = await spawnChild(script, args, options);
  if (code !== 0) throw new Error(`${script} exited with ${code ?? signal}\n${out}\n${err}`);
  try {
    return JSON.parse(out.trim().split("\n").at(-1) ?? "") as T;
  } catch {
    throw new Error(`${script} printed no JSON result\n${out}\n${err}`);
  }
}

/** In a child: the arguments the parent passed, or null when this file was not started as a child. */
export function childArgs<T>(moduleUrl: string): T | null {
  if (process.argv[1] !== fileURLToPath(moduleUrl) || process.argv[2] === undefined) return null;
  return JSON.parse(process.argv[2]) as T;
}

/** In a child: print the result for the parent and exit (open handles must not keep it alive). */
export function reply(result: unknown): never {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export type Columns<T> = { [K in keyof T]: number[] };

/** Run `once` `reps` times, collecting each named number into a figure's values. */
export async function repeat<T extends { [K in keyof T]: number }>(
  reps: number,
  once: (rep: number) => Promise<T>,
): Promise<{ [K in keyof T]: number[] }> {
  const collected = {} as { [K in keyof T]: number[] };
  for (let rep = 0; rep < reps; rep++) {
    const result = await once(rep);
    for (const [key, value] of Object.entries(result) as Array<[keyof T, number]>) {
      collected[key] ??= [];
      collected[key].push(value);
    }
  }
  return collected;
}

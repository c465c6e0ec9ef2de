/**
 * The store behind docs/*.png (see scripts/ui-screenshots.ts): `cairn serve` from bin/cairn.js on a
 * temp SQLite store with the workflows of scripts/ui-screenshot-workflows.ts, and one real run of
 * each kind the UI shows differently.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WORKFLOWS } from "./ui-screenshot-workflows.js";

const BIN = fileURLToPath(new URL("../bin/cairn.js", import.meta.url));

interface RunView {
  status: string;
  steps: Array<{ id: string; status: string; waiting: unknown }>;
}

/** The runs made, by what they show. */
export interface SeededRuns {
  /** reindex, cancelled while its second step ran. */
  cancelled: string;
  /** partitions (a 120-step chain), succeeded. */
  bigGraph: string;
  /** nightly-report, failed, resumed about 4 s later and failed again. */
  failedResumed: string;
  /** crawl-pages, whose map failed 3 of its 30 items. */
  failedMap: string;
  /** daily-sales, succeeded. */
  succeeded: string;
  /** month-end, which started a daily-sales child run; both succeeded. */
  caller: string;
  /** backfill, sleeping for two hours in its second step. */
  sleeping: string;
  /** release, waiting for the signal "approval". */
  waitingForSignal: string;
}

export interface ScreenshotStore {
  url: string;
  token: string;
  runs: SeededRuns;
  /** Resolves once the run is no longer running. */
  settled(runId: string): Promise<void>;
  stop(): void;
}

/** Starts the server and makes the runs, oldest first (the runs list shows them newest first). */
export async function openScreenshotStore(): Promise<ScreenshotStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-shots-"));
  const db = path.join(dir, "cairn.db");
  fs.mkdirSync(path.join(dir, "workflows"));
  for (const [id, yaml] of Object.entries(WORKFLOWS))
    fs.writeFileSync(path.join(dir, "workflows", `${id}.yaml`), yaml);
  const token = execFileSync(process.execPath, [BIN, "--db", db, "token", "create", "--tenant", "default"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
  const server = spawn(
    process.execPath,
    [BIN, "--db", db, "serve", "--port", "0", "--workflows", "workflows"],
    {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const stop = () => {
    server.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await listening(server);
    const api = async <T>(method: string, apiPath: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${url}${apiPath}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${apiPath}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const start = async (workflow: string, input: unknown = {}) =>
      (await api<{ id: string }>("POST", `/api/workflows/${workflow}/runs`, { input })).id;
    const until = async (id: string, done: (run: RunView) => boolean) => {
      for (;;) {
        if (done(await api<RunView>("GET", `/api/runs/${id}`))) return;
        await sleep(100);
      }
    };
    const settled = (id: string) => until(id, (run) => run.status !== "running");
    const stepIs = (stepId: string, check: (step: RunView["steps"][number]) => boolean) => (run: RunView) =>
      run.steps.some((s) => s.id === stepId && check(s));

    const cancelled = await start("reindex");
    await until(
      cancelled,
      stepIs("rebuild", (s) => s.status === "running"),
    );
    await api("POST", `/api/runs/${cancelled}/cancel`, {});
    const bigGraph = await start("partitions");
    await settled(bigGraph);
    const failedResumed = await start("nightly-report", { day: "2026-11-22" });
    await settled(failedResumed);
    // Someone looks at it a few seconds later and resumes it: the wait shows as a gap.
    await sleep(4000);
    await api("POST", `/api/runs/${failedResumed}/resume`, {});
    await settled(failedResumed);
    const failedMap = await start("crawl-pages");
    await settled(failedMap);
    const succeeded = await start("daily-sales", { day: "2026-11-22" });
    await settled(succeeded);
    const caller = await start("month-end", { month: "2026-11" });
    await settled(caller);
    const sleeping = await start("backfill");
    await until(
      sleeping,
      stepIs("cool-off", (s) => s.waiting !== null),
    );
    const waitingForSignal = await start("release", { version: "2.14.0" });
    await until(
      waitingForSignal,
      stepIs("approve", (s) => s.waiting !== null),
    );
    return {
      url,
      token,
      runs: { cancelled, bigGraph, failedResumed, failedMap, succeeded, caller, sleeping, waitingForSignal },
      settled,
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`cairn serve exited (${code}) before listening\n${err}`)));
  });
}

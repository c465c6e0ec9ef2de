import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = path.join(ROOT, "bin/cairn.js");
export const FIXTURES = path.join(ROOT, "test/e2e/fixtures");

export interface Server {
  url: string;
  token: string;
  /** The fixtures' scratch directory ($E2E_DIR): the ledger, fix markers, pid files. */
  dir: string;
  /** A call to the API as another client would make it (not through the UI). */
  api<T = unknown>(
    method: "GET" | "POST" | "PUT",
    apiPath: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  /** A new read-only token of the same tenant (`cairn token create --read-only`). */
  readOnlyToken(): Promise<string>;
  /** Start a run of a fixture workflow through the API (no input); its id. */
  startRun(workflow: string): Promise<string>;
  /**
   * Start `cairn serve` again on the same store (after it died, or stopping it first), on a new
   * port: the new URL (`url` follows it; a browser must sign in again at the new origin).
   */
  restart(): Promise<string>;
  /** Resolves once the current `cairn serve` process has exited. */
  exited(): Promise<void>;
  /** Step ids a run executed, in order, from the side-effect ledger. */
  executed(runId: string): string[];
  stop(): Promise<void>;
}

/**
 * `cairn serve` from bin/cairn.js (the built package) on an ephemeral port, with a temp SQLite store
 * and a token made by `cairn token create`: the same commands a user runs.
 */
export async function startServer(): Promise<Server> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-e2e-"));
  const db = path.join(dir, "cairn.db");
  const env = { ...process.env, NO_COLOR: "1", E2E_DIR: dir };
  const token = (await run(["--db", db, "token", "create", "--tenant", "default"], env)).trim();
  if (!/^cairn_/.test(token)) throw new Error(`cairn token create printed ${JSON.stringify(token)}`);
  const serve = () =>
    spawn(process.execPath, [BIN, "--db", db, "serve", "--port", "0", "--workflows", FIXTURES], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
  let child = serve();
  let url = await listeningUrl(child);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const api = async <T>(method: "GET" | "POST" | "PUT", apiPath: string, body?: unknown) => {
    const response = await fetch(`${url}${apiPath}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  return {
    get url() {
      return url;
    },
    token,
    dir,
    api,
    readOnlyToken: async () =>
      (await run(["--db", db, "token", "create", "--tenant", "default", "--read-only"], env)).trim(),
    startRun: async (workflow) => {
      const { status, body } = await api<{ id: string }>("POST", `/api/workflows/${workflow}/runs`, {
        input: {},
      });
      if (status !== 201) throw new Error(`starting ${workflow}: HTTP ${status} ${JSON.stringify(body)}`);
      return body.id;
    },
    executed: (runId) => {
      const file = path.join(dir, "ledger");
      if (!fs.existsSync(file)) return [];
      return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.startsWith(`${runId} `))
        .map((l) => l.slice(runId.length + 1));
    },
    restart: async () => {
      if (!exited()) {
        const gone = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await gone;
      }
      child = serve();
      url = await listeningUrl(child);
      return url;
    },
    exited: () =>
      exited() ? Promise.resolve() : new Promise<void>((resolve) => child.once("exit", () => resolve())),
    stop: async () => {
      if (!exited()) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`cairn ${args.join(" ")}: exit ${code}\n${err}`)),
    );
  });
}

/** Resolves with the URL the server prints once it listens; rejects if it exits first. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) =>
      reject(new Error(`cairn serve exited (${code}) before listening\n${out}\n${err}`)),
    );
  });
}

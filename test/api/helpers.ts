import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "node:test";
import type { WorkflowLike } from "../../src/core/builder.js";
import { storeOf } from "../../src/engine/client-state.js";
import { Cairn, type CairnOptions, type RunStatus } from "../../src/index.js";
import { createApp } from "../../src/server/app.js";
import { type Listening, listen } from "../../src/server/listen.js";
import type { AppOptions } from "../../src/server/options.js";
import { createToken } from "../../src/server/tokens.js";
import { until } from "../helpers/temp.js";

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field in the tests
  body: any;
}

export interface RequestOptions {
  /** A bearer token; omit for none. */
  token?: string;
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (with the given headers). */
  raw?: RequestInit["body"];
  headers?: Record<string, string>;
}

export interface TestServer {
  url: string;
  cairn: Cairn;
  dir: string;
  db: string;
  tokens: { acme: string; globex: string; acmeReader: string };
  tokenIds: { acme: string; globex: string; acmeReader: string };
  /** Every response body this server sent through `api()`, for "appears nowhere" checks. */
  transcript: string[];
  /** Errors the app reported as internal (500s). */
  internalErrors: unknown[];
  api(pathname: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Poll GET /api/runs/:id until the run's status is one of `statuses`. */
  waitForStatus(runId: string, statuses: readonly RunStatus[], token?: string): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  workflows: readonly WorkflowLike[];
  cairn?: CairnOptions;
  app?: Omit<AppOptions, "cairn">;
}

/**
 * The API over real HTTP: a Cairn on a temp SQLite file (configured as `cairn serve` configures it),
 * the app on an ephemeral port of 127.0.0.1, and tokens for two tenants plus a read-only one.
 */
export async function startServer(options: TestServerOptions): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-api-"));
  const db = path.join(dir, "cairn.db");
  const cairn = await Cairn.open({
    db,
    trigger: "api",
    recover: true,
    onlyOwnRuns: false,
    pollIntervalMs: 50,
    ...options.cairn,
  });
  for (const w of options.workflows) await cairn.register(w);
  const acme = await createToken(cairn.tokens, { tenant: "acme", name: "acme-ci" });
  const globex = await createToken(cairn.tokens, { tenant: "globex" });
  const acmeReader = await createToken(cairn.tokens, { tenant: "acme", readOnly: true });
  const internalErrors: unknown[] = [];
  const app = createApp({
    cairn,
    auth: "tokens",
    onInternalError: (e) => internalErrors.push(e),
    ...options.app,
  });
  const server: Listening = await listen(app, { host: "127.0.0.1", port: 0 });
  const transcript: string[] = [];
  let closed = false;

  const api = async (pathname: string, req: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
    let body: RequestInit["body"] | undefined = req.raw;
    if (req.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(req.json);
    }
    const res = await fetch(server.url + pathname, {
      method: req.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
    });
    const text = await res.text();
    transcript.push(text);
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  };

  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      await server.close();
      await cairn.close({ abort: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  after(close);

  return {
    url: server.url,
    cairn,
    dir,
    db,
    tokens: { acme: acme.token, globex: globex.token, acmeReader: acmeReader.token },
    tokenIds: { acme: acme.record.id, globex: globex.record.id, acmeReader: acmeReader.record.id },
    transcript,
    internalErrors,
    api,
    waitForStatus: async (runId, statuses, token = acme.token) =>
      until(
        async () => {
          const res = await api(`/api/runs/${runId}`, { token });
          return statuses.includes(res.body?.status) ? res : undefined;
        },
        `run ${runId} to become ${statuses.join(" or ")}`,
        30_000,
        50,
      ),
    close,
  };
}

/** The error body every failure must have. */
export function assertErrorShape(res: ApiResponse, status: number, code: string): void {
  const where = `${res.status} ${res.text}`;
  if (res.status !== status) throw new Error(`expected ${status}, got ${where}`);
  const error = res.body?.error;
  if (!error || error.code !== code || typeof error.message !== "string" || !("details" in error))
    throw new Error(`expected { error: { code: ${code}, message, details } }, got ${where}`);
  if (Object.keys(res.body).length !== 1 || Object.keys(error).sort().join() !== "code,details,message")
    throw new Error(`unexpected fields in the error body: ${where}`);
  if (/\n\s+at /.test(res.text) || /\.(ts|js):\d+/.test(res.text))
    throw new Error(`stack trace in a response: ${where}`);
}

/** The store's observable state: runs, steps, events, run attempts. Compared before/after bad requests. */
export async function storeState(cairn: Cairn): Promise<string> {
  const runs = await storeOf(cairn).listRuns({ limit: 10_000 });
  const rows = await Promise.all(
    runs.map(async (r) => ({
      r,
      steps: await storeOf(cairn).getSteps(r.id),
      attempts: await cairn.history(r.id),
    })),
  );
  const events = await storeOf(cairn).readEvents({ afterSeq: 0, limit: 1_000_000 });
  return JSON.stringify({ rows, events, tokens: await cairn.tokens.listTokens() });
}

/** Bytes of the SQLite file and its WAL/SHM companions, as one buffer to search. */
export function databaseBytes(db: string): Buffer {
  return Buffer.concat(
    ["", "-wal", "-shm"].filter((s) => fs.existsSync(db + s)).map((s) => fs.readFileSync(db + s)),
  );
}

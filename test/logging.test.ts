// What Cairn logs: recoveries, runs interrupted for a person and recovery failures, a failed commit of
// a step's outcome (library), one access line per API request without any token, the log level from
// the flag or the environment, and readable lines for a terminal. What `serve` and `worker` write to
// stderr as processes is in logging-cli.test.ts.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, workflow } from "../src/index.js";
import { prettyLine } from "../src/logging/pretty.js";
import type { Store, StoreTx } from "../src/store/store.js";
import { startServer } from "./api/helpers.js";
import { quick } from "./api/workflows.js";
import { cli } from "./helpers/cli.js";
import { capturedLogger } from "./helpers/logs.js";
import { tempDir, until } from "./helpers/temp.js";

const wf = workflow("logged").step("only", { needs: [] }, async () => "done");

/** Mark a run's only step as held by a worker that died on another machine a while ago. */
async function heldByDeadWorker(client: Cairn, runId: string): Promise<void> {
  const now = Date.now();
  await storeOf(client).transaction(async (tx) => {
    await tx.upsertWorker({
      id: "w-gone",
      host: "other-host",
      pid: 1,
      pidStart: null,
      bootId: null,
      startedAt: now - 200_000,
      heartbeatAt: now - 120_000,
      leaseMs: 30_000,
      stoppedAt: null,
    });
    await tx.updateStep(
      { runId, stepId: "only" },
      { status: "running", leaseOwner: "w-gone", leaseExpiresAt: now - 90_000, attempts: 1, leaseEpoch: 1 },
    );
  });
}

test("a step taken over from a dead worker is logged with run, step, attempt and the previous owner", async () => {
  const db = path.join(tempDir(), "cairn.db");
  const client = await Cairn.open({ db, execute: false });
  const { id } = await client.start(wf, {}, { detach: true });
  await heldByDeadWorker(client, id);
  const { logger, lines } = capturedLogger();
  const worker = await Cairn.open({ db: storeOf(client), logger, recoveryIntervalMs: 100_000 });
  await worker.register(wf); // registering runs recovery
  assert.equal((await worker.wait(id)).status, "succeeded");
  await worker.close();
  await client.close();
  const recovered = lines.find((l) => l.msg.startsWith("step recovered"));
  assert.deepEqual(
    recovered && {
      level: recovered.level,
      runId: recovered.runId,
      stepId: recovered.stepId,
      attempt: recovered.attempt,
      previousOwner: recovered.previousOwner,
    },
    { level: 40, runId: id, stepId: "only", attempt: 1, previousOwner: "w-gone" },
  );
});

test("a run left for a person by recovery (recovery: manual) is logged with its run id and the reason", async () => {
  const manual = workflow("logged-manual", { recovery: "manual" }).step("only", { needs: [] }, async () => 1);
  const db = path.join(tempDir(), "cairn.db");
  const client = await Cairn.open({ db, execute: false });
  const { id } = await client.start(manual, {}, { detach: true });
  await heldByDeadWorker(client, id);
  const { logger, lines } = capturedLogger();
  const worker = await Cairn.open({ db: storeOf(client), logger, recoveryIntervalMs: 100_000 });
  await worker.register(manual); // registering runs recovery
  assert.equal((await client.get(id))?.run.status, "interrupted");
  await worker.close();
  await client.close();
  const interrupted = lines.find((l) => l.msg.startsWith("run interrupted"));
  assert.deepEqual(interrupted && [interrupted.level, interrupted.runId], [40, id]);
  assert.match(String(interrupted?.reason), /w-gone/);
});

test("a commit of a step's outcome that fails is logged as an error with run, step and attempt, then retried", async () => {
  const client = await Cairn.open({ db: path.join(tempDir(), "cairn.db"), execute: false });
  const real = storeOf(client);
  // A real SQLite store whose next write of a step's outcome throws once, inside its transaction (so
  // the transaction rolls back), the way a busy or restarting database fails a commit.
  let failures = 1;
  const failingTx = (tx: StoreTx): StoreTx =>
    new Proxy(tx, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop === "updateOwnedStep")
          return (ref: never, patch: object) => {
            if ("status" in patch && failures > 0) {
              failures--;
              throw new Error("database is restarting (injected)");
            }
            return value.call(target, ref, patch);
          };
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const store = new Proxy(real, {
    get(target, prop) {
      if (prop === "transaction")
        return (fn: (tx: StoreTx) => Promise<unknown>, options: never) =>
          target.transaction((tx) => fn(failingTx(tx)), options);
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as Store;
  const { logger, lines } = capturedLogger();
  const cairn = await Cairn.open({ db: store, logger });
  const run = await cairn.start(wf, {});
  assert.equal((await run.result()).status, "succeeded", "the commit is retried");
  await cairn.close();
  await client.close();
  assert.equal(failures, 0, "the outcome's write failed once");
  const failed = lines.filter((l) => l.level === 50);
  assert.deepEqual(
    failed.map((l) => ({
      msg: l.msg,
      runId: l.runId,
      stepId: l.stepId,
      attempt: l.attempt,
      err: (l.err as { message?: string }).message,
    })),
    [
      {
        msg: "recording the step failed; retrying",
        runId: run.id,
        stepId: "only",
        attempt: 1,
        err: "database is restarting (injected)",
      },
    ],
  );
});

test("a periodic recovery that fails is logged as an error, not swallowed", async () => {
  const db = path.join(tempDir(), "cairn.db");
  const { logger, lines } = capturedLogger();
  const cairn = await Cairn.open({ db, logger, recoveryIntervalMs: 20 });
  await cairn.register(wf);
  await storeOf(cairn).close();
  const failed = await until(() => lines.find((l) => l.msg === "recovery failed; retrying"), "the log line");
  assert.equal(failed.level, 50);
  assert.match(String((failed.err as { message: string }).message), /closed/);
  await cairn.close().catch(() => undefined);
});

test("the API logs one line per request: method, route, status, duration, tenant; never a token", async () => {
  const { logger, lines, raw } = capturedLogger();
  const s = await startServer({ workflows: [quick], cairn: { logger } });
  try {
    assert.equal((await s.api("/api/runs", { token: s.tokens.acme })).status, 200);
    assert.equal((await s.api("/api/runs/run_nope", { token: s.tokens.globex })).status, 404);
    assert.equal((await s.api("/api/runs?limit=1", { token: "not-a-real-token-123" })).status, 401);
    assert.equal((await s.api("/healthz")).status, 200);
    const access = lines
      .filter((l) => l.msg === "request")
      .map(({ method, route, status, tenant }) => ({ method, route, status, tenant }));
    assert.deepEqual(access, [
      { method: "GET", route: "/api/runs", status: 200, tenant: "acme" },
      { method: "GET", route: "/api/runs/:id", status: 404, tenant: "globex" },
      { method: "GET", route: "/api/*", status: 401, tenant: null },
      { method: "GET", route: "/healthz", status: 200, tenant: null },
    ]);
    assert.ok(lines.filter((l) => l.msg === "request").every((l) => typeof l.durationMs === "number"));
    for (const secret of [...Object.values(s.tokens), "not-a-real-token-123"])
      assert.ok(!raw.some((line) => line.includes(secret)), "no token appears in the log");
  } finally {
    await s.close();
  }
});

test("the log level comes from --log-level or CAIRN_LOG_LEVEL; a bad one is one sentence, exit code 2", async () => {
  const dir = tempDir();
  const flag = await cli(["--log-level", "loud", "ls"], { cwd: dir });
  assert.deepEqual(
    [flag.code, flag.stderr],
    [2, 'cairn: --log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud".\n'],
  );
  const env = await cli(["ls"], { cwd: dir, env: { CAIRN_LOG_LEVEL: "chatty" } });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /^cairn: CAIRN_LOG_LEVEL must be one of .+, got "chatty"\.\n$/);
  const hello = fileURLToPath(new URL("../examples/hello.yaml", import.meta.url));
  const ok = await cli(["--log-level", "debug", "run", hello, "--input", '{"name":"Ada"}', "--json"], {
    cwd: dir,
  });
  assert.equal(ok.code, 0, ok.stderr);
});

test("on a terminal a log line reads as time, level, message and fields", () => {
  const line = prettyLine(
    JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      pid: 7,
      msg: "lease lost",
      runId: "r1",
      attempt: 2,
    }),
  );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colours, when the terminal has them
  assert.equal(line.replace(/\x1b\[\d+m/g, ""), "03:04:05.006 WARN  lease lost runId=r1 attempt=2\n");
});

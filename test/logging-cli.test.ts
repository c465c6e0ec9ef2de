// What `cairn serve` and `cairn worker` write to stderr, as real processes: only log lines (JSON when
// stderr is not a terminal), at the level the flag or the environment sets; the access line of a
// request without its token; and, before the logger exists, a bad flag as one plain sentence.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { ChildRun } from "./helpers/child.js";
import { cli, startCli } from "./helpers/cli.js";
import type { LogEntry } from "./helpers/logs.js";
import { tempDir, until } from "./helpers/temp.js";

const HELLO = fileURLToPath(new URL("../examples/hello.yaml", import.meta.url));
/** No level from the test runner's environment: each test sets the one it means. */
const NO_LEVEL = { CAIRN_LOG_LEVEL: "" };

/** Every stderr line as a log entry; fails, naming the line, when one is not JSON. */
function logLines(stderr: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of stderr.split("\n").filter((l) => l !== "")) {
    try {
      entries.push(JSON.parse(line) as LogEntry);
    } catch {
      assert.fail(`a stderr line that is not JSON: ${line}`);
    }
  }
  return entries;
}

/** SIGTERM, then the exit code once all output is read. */
async function stop(process: ChildRun): Promise<number | null> {
  process.child.kill("SIGTERM");
  return (await process.closed).code;
}

/** Start `cairn … worker` on hello.yaml, wait for its ready line on stdout, stop it: its stderr. */
async function workerStderr(globalArgs: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const dir = tempDir();
  const worker = startCli(
    [...globalArgs, "--db", path.join(dir, "cairn.db"), "worker", "--workflows", HELLO],
    { cwd: dir, env },
  );
  await worker.line(/^cairn worker \S+ ready/);
  assert.equal(await stop(worker), 0, worker.stderr());
  return worker.stderr();
}

test("cairn worker logs its info lines (ready, stopping, stopped) as JSON by default", async () => {
  const lines = logLines(await workerStderr([], NO_LEVEL));
  const ready = lines.find((l) => l.msg === "worker ready");
  assert.deepEqual(ready && [ready.level, ready.workflows], [30, "hello"]);
  assert.ok(
    lines.some((l) => l.level === 30 && /^worker \S+ stopping; steps in flight finish first$/.test(l.msg)),
  );
  assert.ok(lines.some((l) => l.level === 30 && /^worker \S+ stopped$/.test(l.msg)));
});

test("--log-level warn and CAIRN_LOG_LEVEL=error hide the worker's info lines; the flag wins over the variable", async () => {
  for (const [args, env] of [
    [["--log-level", "warn"], NO_LEVEL],
    [[], { CAIRN_LOG_LEVEL: "error" }],
  ] as const) {
    const stderr = await workerStderr([...args], env);
    assert.doesNotMatch(stderr, /worker ready|stopping|stopped/, `${args.join(" ")} ${JSON.stringify(env)}`);
  }
  const flagWins = logLines(await workerStderr(["--log-level", "info"], { CAIRN_LOG_LEVEL: "error" }));
  assert.ok(flagWins.some((l) => l.msg === "worker ready"));
});

test("cairn serve writes only JSON to stderr: retention, the access line without the token, shutting down", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const finished = await cli(["--db", db, "run", HELLO, "--input", '{"name":"Ada"}'], { cwd: dir });
  assert.equal(finished.code, 0, finished.stderr);
  const created = await cli(["--db", db, "token", "create", "--tenant", "acme"], { cwd: dir });
  const token = created.stdout.trim();
  assert.match(token, /^cairn_\S+$/);

  // --gc-keep-last 0: the first retention pass, at start, deletes the finished run and says so.
  const serve = startCli(["--db", db, "serve", "--port", "0", "--workflows", HELLO, "--gc-keep-last", "0"], {
    cwd: dir,
    env: NO_LEVEL,
  });
  const url = /listening on (http:\/\/\S+)/.exec(await serve.line(/^Cairn API listening on /))![1];
  await until(() => serve.stderr().includes("retention deleted"), "the retention line");
  const runs = await fetch(`${url}/api/runs?limit=5`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(runs.status, 200);
  await until(() => serve.stderr().includes('"msg":"request"'), "the access line");
  assert.equal(await stop(serve), 0, serve.stderr());

  const lines = logLines(serve.stderr());
  const access = lines.filter((l) => l.msg === "request");
  assert.deepEqual(
    access.map(({ level, method, route, status, tenant }) => ({ level, method, route, status, tenant })),
    [{ level: 30, method: "GET", route: "/api/runs", status: 200, tenant: "acme" }],
  );
  assert.equal(typeof access[0]!.durationMs, "number");
  const retention = lines.find((l) => l.msg.startsWith("retention deleted"));
  assert.deepEqual(retention && [retention.level, retention.runs], [30, 1]);
  assert.match(retention!.msg, /^retention deleted 1 run \(.+ of run directories\)$/);
  assert.ok(lines.some((l) => l.level === 30 && l.msg === "shutting down"));
  assert.ok(!serve.stderr().includes(token), "the token is never logged");
  assert.ok(!serve.stderr().includes("?limit"), "nor the query string");
});

test("serve and worker: a bad flag, before any log line, is one plain sentence and exit code 2", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const cases: Array<[string[], string]> = [
    [["serve", "--port", "99999"], '--port must be a whole number from 0 to 65535, got "99999".'],
    [
      ["worker", "--workflows", HELLO, "--concurrency", "0"],
      '--concurrency must be a positive whole number, got "0".',
    ],
    [
      ["worker", "--workflows", HELLO, "--metrics-port", "http"],
      '--metrics-port must be a whole number from 0 to 65535, got "http".',
    ],
    [
      ["--log-level", "loud", "serve"],
      '--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud".',
    ],
  ];
  for (const [args, sentence] of cases) {
    const result = await cli(["--db", db, ...args], { cwd: dir, env: NO_LEVEL });
    assert.deepEqual([result.code, result.stderr], [2, `cairn: ${sentence}\n`], args.join(" "));
  }
});

test("a serve error after its logger exists (the port is taken) is a JSON error line, exit code 2", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const first = startCli(["--db", db, "serve", "--port", "0", "--no-worker"], { cwd: dir, env: NO_LEVEL });
  const port = /:(\d+)/.exec(await first.line(/^Cairn API listening on /))![1]!;
  const second = await cli(["--db", db, "serve", "--port", port, "--no-worker"], { cwd: dir, env: NO_LEVEL });
  assert.equal(await stop(first), 0, first.stderr());
  assert.equal(second.code, 2);
  const failed = logLines(second.stderr).filter((l) => l.level === 50);
  assert.equal(failed.length, 1, second.stderr);
  assert.match(failed[0]!.msg, new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
});

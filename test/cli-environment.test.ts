// Every flag of `cairn serve` and `cairn worker` can be set from the environment (CAIRN_*, PORT).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { envNames } from "../src/cli/environment.js";
import { buildProgram } from "../src/cli/main.js";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const OK_YAML = path.join(ROOT, "test/fixtures/cli/ok.yaml");
const COUNTED_YAML = path.join(ROOT, "test/fixtures/cli/counted.yaml");

async function stop(run: ReturnType<typeof spawnNode>): Promise<void> {
  run.child.kill("SIGTERM");
  await run.exited;
}

test("cairn worker takes every flag from CAIRN_* variables; --workflows as a comma-separated list", async (t) => {
  const dir = tempDir();
  const worker = spawnNode(BIN, ["worker"], {
    CAIRN_DB: path.join(dir, "cairn.db"),
    CAIRN_WORKFLOWS: `${OK_YAML}, ${COUNTED_YAML}`,
    CAIRN_CONCURRENCY: "3",
    CAIRN_LEASE_MS: "9000",
    CAIRN_HEARTBEAT_MS: "700",
    CAIRN_METRICS_PORT: "0",
    CAIRN_METRICS_HOST: "127.0.0.1",
  });
  t.after(() => stop(worker));
  const url = /on (http:\/\/\S+)\/metrics/.exec(await worker.line(/cairn worker metrics on /))![1]!;
  const ready = await worker.line(/ready \(pid/);
  assert.match(ready, /2 workflows: ok, counted; concurrency 3, lease 9000 ms/);
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
});

test("a flag on the command line wins over the environment", async (t) => {
  const dir = tempDir();
  const worker = spawnNode(BIN, ["worker", "--concurrency", "5", "--workflows", OK_YAML], {
    CAIRN_DB: path.join(dir, "cairn.db"),
    CAIRN_WORKFLOWS: COUNTED_YAML,
    CAIRN_CONCURRENCY: "3",
  });
  t.after(() => stop(worker));
  assert.match(await worker.line(/ready \(pid/), /1 workflow: ok; concurrency 5,/);
});

test("cairn serve: PORT, CAIRN_HOST, CAIRN_WORKER=false and CAIRN_BODY_LIMIT", async (t) => {
  const dir = tempDir();
  const serve = spawnNode(BIN, ["serve", "--no-auth"], {
    CAIRN_DB: path.join(dir, "cairn.db"),
    PORT: "0",
    CAIRN_HOST: "127.0.0.1",
    CAIRN_WORKER: "false",
    CAIRN_BODY_LIMIT: "64",
    CAIRN_WORKFLOWS: OK_YAML,
  });
  t.after(() => stop(serve));
  const line = await serve.line(/listening on/);
  assert.match(line, /listening on http:\/\/127\.0\.0\.1:\d+ \(1 workflow, no worker\)/);
  const url = /on (http:\/\/\S+)/.exec(line)![1]!;
  const big = await fetch(`${url}/api/workflows/ok/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: { pad: "x".repeat(100) } }),
  });
  assert.equal(big.status, 413, "the body limit from the environment");
});

test("a bad value from the environment is one sentence and exit code 2", async () => {
  const dir = tempDir();
  const bool = await cli(["serve"], { cwd: dir, env: { CAIRN_AUTH: "perhaps" } });
  assert.equal(bool.code, 2);
  assert.equal(bool.stderr, 'cairn: CAIRN_AUTH must be true or false, got "perhaps".\n');
  const num = await cli(["worker"], {
    cwd: dir,
    env: { CAIRN_WORKFLOWS: OK_YAML, CAIRN_CONCURRENCY: "many", CAIRN_DB: path.join(dir, "c.db") },
  });
  assert.equal(num.code, 2);
  assert.match(num.stderr, /--concurrency must be a positive whole number, got "many"/);
});

test("docs/operations.md lists the variable of every serve and worker flag, and --help names it", () => {
  const doc = fs.readFileSync(path.join(ROOT, "docs/operations.md"), "utf8");
  const program = buildProgram();
  for (const name of ["serve", "worker"]) {
    const command = program.commands.find((c) => c.name() === name)!;
    for (const option of command.options) {
      for (const variable of envNames(option)) {
        assert.ok(
          doc.includes(`\`${variable}\``),
          `docs/operations.md names ${variable} (${name} ${option.long})`,
        );
        assert.match(option.description, new RegExp(`env: .*${variable}`));
      }
      assert.ok(doc.includes(`\`${option.long}\``), `docs/operations.md names ${name} ${option.long}`);
    }
  }
});

// The CLI against PostgreSQL: `run --detach` only enqueues, a `cairn worker` executes, `show`/`ls` read.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cli } from "../helpers/cli.js";
import { pgTestDb } from "../helpers/pg.js";
import { readLines, tempDir, until } from "../helpers/temp.js";
import { startWorkers } from "../helpers/workers.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

test("`cairn run --detach` on PostgreSQL only enqueues; `cairn worker` executes; show and ls read it", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const dir = tempDir();
  const ledger = path.join(dir, "ledger.txt");
  const env = { CAIRN_TEST_LEDGER: ledger };
  const started = await cli(["--db", db.url, "run", path.join(FIXTURES, "mesh.mjs"), "--detach", "--json"], {
    cwd: dir,
    env,
  });
  assert.equal(started.code, 0, started.stderr);
  const runId = (JSON.parse(started.stdout) as { id: string }).id;
  const store = await db.open();
  const run = await store.getRun(runId);
  assert.equal(run?.status, "running");
  assert.equal(run?.driverId, null, "left to any worker");
  assert.deepEqual(readLines(ledger), [], "the CLI executed nothing");
  assert.deepEqual(
    (await store.getSteps(runId)).map((s) => s.status),
    ["ready", ...Array(9).fill("pending")],
  );

  const [worker] = await startWorkers(t, 1, { db: db.url, workflows: [FIXTURES], env });
  await until(
    async () => (await store.getRun(runId))?.status === "succeeded",
    "the worker to finish the run",
    30_000,
    100,
  );
  assert.equal(readLines(ledger).length, 10);
  assert.ok(
    readLines(ledger).every((l) => l.endsWith(` ${worker!.pid}`)),
    "the worker executed every step",
  );

  const shown = await cli(["--db", db.url, "show", runId, "--json"], { cwd: dir });
  assert.equal(shown.code, 0, shown.stderr);
  const view = JSON.parse(shown.stdout) as { status: string; steps: unknown[] };
  assert.equal(view.status, "succeeded");
  assert.equal(view.steps.length, 10);
  const listed = await cli(["--db", db.url, "ls", "--json"], { cwd: dir });
  assert.deepEqual(
    (JSON.parse(listed.stdout) as Array<{ id: string }>).map((r) => r.id),
    [runId],
  );
  assert.equal((await worker!.stop()).code, 0);
  assert.equal(fs.existsSync(path.join(dir, ".cairn", "cairn.db")), false, "no SQLite store was created");
});

test("`cairn worker` refuses bad options and empty workflow directories with one sentence", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const dir = tempDir();
  const badLease = await cli(["--db", db.url, "worker", "--workflows", FIXTURES, "--lease-ms", "0"], {
    cwd: dir,
  });
  assert.equal(badLease.code, 2);
  assert.match(badLease.stderr, /--lease-ms must be a positive whole number, got "0"/);
  const empty = await cli(["--db", db.url, "worker", "--workflows", dir], { cwd: dir });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /No workflow files found in /);
  const unreachable = await cli(
    ["--db", "postgres://postgres@127.0.0.1:1/nowhere", "worker", "--workflows", FIXTURES],
    { cwd: dir },
  );
  assert.equal(unreachable.code, 2);
  assert.match(unreachable.stderr, /Cannot open the store at postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere/);
});

// `cairn worker` on the default SQLite store: it stays up, executes runs started with `--detach` and
// resumes made with `--detach` by other processes, and stops cleanly on SIGTERM.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { cli } from "./helpers/cli.js";
import { tempDir, until } from "./helpers/temp.js";
import { startWorkers } from "./helpers/workers.js";

const FLOW = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "fails-until-fixed.yaml");

test("a SQLite worker stays up and executes detached runs and detached resumes", async (t) => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const fixed = path.join(dir, "fixed");
  const env = { FIXED: fixed };
  const [worker] = await startWorkers(t, 1, { db, workflows: [FLOW], env });
  const store = SqliteStore.open(db);
  t.after(() => store.close());
  const status = async (runId: string) => (await store.getRun(runId))?.status;

  const started = await cli(["--db", db, "run", FLOW, "--detach", "--json"], { cwd: dir, env });
  assert.equal(started.code, 0, started.stderr);
  const runId = (JSON.parse(started.stdout) as { id: string }).id;
  await until(async () => (await status(runId)) === "failed", "the worker to execute the run", 30_000, 50);

  fs.writeFileSync(fixed, "");
  const resumed = await cli(["--db", db, "resume", runId, "--detach", "--json"], { cwd: dir, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  await until(async () => (await status(runId)) === "succeeded", "the worker to resume the run", 30_000, 50);
  assert.deepEqual(
    (await store.getSteps(runId)).map((s) => [s.stepId, s.status, s.attempts]),
    [
      ["prepare", "succeeded", 1],
      ["flaky", "succeeded", 2],
      ["finish", "succeeded", 1],
    ],
    "prepare kept, flaky executed again, finish executed once",
  );

  assert.equal(worker!.child.exitCode, null, "the worker is still running");
  const stopped = await worker!.stop();
  assert.deepEqual(stopped, { code: 0, signal: null });
});

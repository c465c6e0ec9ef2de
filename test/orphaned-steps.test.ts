// A shell step whose owner is SIGKILLed keeps no second copy running: resume and automatic recovery
// end the orphaned process group before the step runs again, and with nobody to resume it the step's
// processes end on their own.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { groupAlive } from "../src/engine/process-groups.js";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli } from "./helpers/cli.js";
import { orphanWorkflow, overlaps, parseMarks } from "./helpers/orphan-marks.js";
import { tempDir, until } from "./helpers/temp.js";

function setup(recovery: "auto" | "manual", windDownS: number) {
  const dir = tempDir();
  const marks = path.join(dir, "marks.log");
  // A wind-down longer than a CLI start (without the wait for the orphan, resume would overlap it)
  // and well inside the 5 s SIGTERM grace (a SIGKILLed orphan writes no end mark).
  const file = orphanWorkflow(dir, marks, { recovery, windDownS });
  return { dir, marks, file, db: path.join(dir, "cairn.db") };
}

/** Start `cairn run` and wait until its step has written its start mark; returns the owner process. */
async function startOwner(s: ReturnType<typeof setup>) {
  const owner = spawnNode(BIN, ["--db", s.db, "run", s.file], { NO_COLOR: "1" });
  const first = await until(() => parseMarks(s.marks)[0], "the step to start");
  return { owner, first };
}

test("SIGKILL of `cairn run` mid shell step, then `cairn resume`: the two executions never overlap", async () => {
  const s = setup("manual", 3);
  const { owner, first } = await startOwner(s);
  owner.child.kill("SIGKILL");
  await owner.exited;
  const resumed = await cli(["--db", s.db, "resume", first.runId], { cwd: s.dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  const executions = parseMarks(s.marks);
  assert.equal(executions.length, 2, fs.readFileSync(s.marks, "utf8"));
  assert.deepEqual(overlaps(executions), [], "the re-run started only after the orphan ended");
  assert.ok(executions[0]!.endNs !== null, "the orphan ended (on SIGTERM, with its grace)");
});

test("SIGKILL of `cairn run` mid shell step, recovered by `cairn serve` (recovery auto): no overlap", async () => {
  const s = setup("auto", 3);
  const serve = spawnNode(BIN, ["--db", s.db, "serve", "--no-auth", "--port", "0", "--workflows", s.file], {
    NO_COLOR: "1",
  });
  try {
    await serve.line(/^Cairn API listening/);
    const { owner, first } = await startOwner(s);
    owner.child.kill("SIGKILL");
    await owner.exited;
    await until(
      () => parseMarks(s.marks)[1]?.endNs,
      "serve to recover the step and finish it",
      20_000,
      100,
    ).catch(async (error: Error) => {
      const shown = await cli(["--db", s.db, "show", first.runId], { cwd: s.dir });
      const marks = fs.existsSync(s.marks) ? fs.readFileSync(s.marks, "utf8") : "(no marks)";
      throw new Error(
        `${error.message}\nmarks:\n${marks}\nshow:\n${shown.stdout}\nserve:\n${serve.stdout()}`,
      );
    });
    await until(
      async () =>
        (
          JSON.parse((await cli(["--db", s.db, "--json", "show", first.runId], { cwd: s.dir })).stdout) as {
            status: string;
          }
        ).status === "succeeded",
      "the run to succeed",
      10_000,
      100,
    );
    const executions = parseMarks(s.marks);
    assert.equal(executions.length, 2, fs.readFileSync(s.marks, "utf8"));
    assert.deepEqual(overlaps(executions), [], "the recovered execution started only after the orphan ended");
  } finally {
    serve.child.kill("SIGKILL");
    await serve.exited;
  }
});

test("SIGKILL of `cairn run` mid shell step and nobody resumes: the step's processes end on their own", async () => {
  const s = setup("manual", 0);
  const { owner, first } = await startOwner(s);
  assert.ok(groupAlive(first.pid), "the step's process group runs");
  const killedAt = Date.now();
  owner.child.kill("SIGKILL");
  await owner.exited;
  await until(() => !groupAlive(first.pid), "the orphaned step's processes to end", 4000);
  const tookMs = Date.now() - killedAt;
  assert.ok(tookMs < 4000, `gone ${tookMs} ms after the owner died`);
  assert.match(fs.readFileSync(s.marks, "utf8"), /^term /m, "the watchdog ended it with SIGTERM");
});

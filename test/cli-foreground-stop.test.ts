import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli } from "./helpers/cli.js";
import { tempDir, until } from "./helpers/temp.js";

/**
 * A workflow whose second step marks that it started, then waits until the file `go` exists
 * (up to 60 s), and a store in a temp dir: `cairn run` follows it in the foreground.
 */
function setUp() {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const file = path.join(dir, "wait.yaml");
  fs.writeFileSync(
    file,
    [
      "id: wait",
      "steps:",
      "  - id: first",
      "    run: echo first",
      "  - id: wait",
      `    run: touch ${dir}/started-$CAIRN_RUN_ID; i=0; while [ ! -f ${dir}/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
      "  - id: last",
      "    run: echo last",
    ].join("\n"),
  );
  const start = (runId: string) =>
    spawnNode(BIN, ["--db", db, "run", file, "--id", runId], { NO_COLOR: "1" });
  const cairn = (...args: string[]) => cli(["--db", db, ...args], { cwd: dir });
  const started = (runId: string) =>
    until(() => fs.existsSync(path.join(dir, `started-${runId}`)), "the wait step to start", 30_000);
  const go = () => fs.writeFileSync(path.join(dir, "go"), "");
  return { start, cairn, started, go };
}

describe("a foreground cairn run stopped from outside", () => {
  test("Ctrl-C (SIGINT) exits 130 and leaves the run interrupted with the reason, resumable", async () => {
    const { start, cairn, started, go } = setUp();
    const run = start("ctrl-c");
    await started("ctrl-c");
    run.child.kill("SIGINT");
    assert.equal((await run.exited).code, 130, run.stdout());
    const shown = JSON.parse((await cairn("show", "ctrl-c", "--json")).stdout);
    assert.equal(shown.status, "interrupted", "not failed as if a step had failed");
    assert.equal(shown.reason, "stopped by Ctrl-C (SIGINT) of the cairn process driving it");
    assert.equal(shown.error, null);
    const history = JSON.parse((await cairn("history", "ctrl-c", "--json")).stdout);
    assert.equal(history.at(-1).outcome, "interrupted");

    go();
    const resumed = await cairn("resume", "ctrl-c");
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /run +wait +was cancelled; it runs again/);
  });

  test("a run cancelled by another process exits 4; a paused one exits 5 once its steps in flight finish", async () => {
    const { start, cairn, started, go } = setUp();
    const cancelled = start("cancel-me");
    await started("cancel-me");
    assert.equal((await cairn("cancel", "cancel-me")).code, 0);
    assert.equal((await cancelled.exited).code, 4, cancelled.stdout());

    const paused = start("pause-me");
    await started("pause-me");
    assert.equal((await cairn("pause", "pause-me")).code, 0);
    go(); // the step in flight finishes; nothing new starts
    const exit = await paused.exited;
    assert.equal(exit.code, 5, paused.stdout());
    assert.equal(JSON.parse((await cairn("show", "pause-me", "--json")).stdout).status, "paused");
  });

  test("SIGKILL: history shows the attempt interrupted with the reason, not running forever", async () => {
    const { start, cairn, started, go } = setUp();
    const run = start("killed");
    await started("killed");
    run.child.kill("SIGKILL");
    await run.exited;
    const history = JSON.parse((await cairn("history", "killed", "--json")).stdout);
    assert.equal(history.length, 1);
    assert.equal(history[0].outcome, "interrupted");
    assert.match(history[0].note, /process \d+ on \S+ is gone|the process driving it is gone/);
    assert.equal(JSON.parse((await cairn("show", "killed", "--json")).stdout).status, "interrupted");

    go();
    const resumed = await cairn("resume", "killed");
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    const after = JSON.parse((await cairn("history", "killed", "--json")).stdout);
    assert.deepEqual(
      after.map((a: { outcome: string }) => a.outcome),
      ["interrupted", "succeeded"],
      "the first attempt stays interrupted once the run moved on",
    );
    assert.match(after[0].note, /process \d+ on \S+ is gone|the process driving it is gone/);
  });
});

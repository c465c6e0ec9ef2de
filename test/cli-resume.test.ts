import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cli } from "./helpers/cli.js";
import { readLines, tempDir } from "./helpers/temp.js";

function pipeline(dir: string): string {
  const file = path.join(dir, "pipeline.yaml");
  fs.writeFileSync(
    file,
    `id: pipeline
steps:
  - id: plan
    run: echo plan >> "$LEDGER"
  - id: build
    run: |
      echo build >> "$LEDGER"
      test -f "$FIXED" || { echo "compiler error on line 7" >&2; exit 2; }
  - id: ship
    run: echo ship >> "$LEDGER"
`,
  );
  return file;
}

test("the CLI flow: a run fails (exit 1), resume --dry-run explains, resume continues (exit 0), history lists both attempts", async () => {
  const dir = tempDir();
  const file = pipeline(dir);
  const ledger = path.join(dir, "ledger");
  const env = { LEDGER: ledger, FIXED: path.join(dir, "fixed") };
  const run = await cli(["run", file, "--id", "p1"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /✗ build .*Command exited with code 2: compiler error on line 7/);

  const dry = await cli(["resume", "p1", "--dry-run"], { cwd: dir, env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /keep +plan/);
  assert.match(dry.stdout, /retry +build +failed: Command exited with code 2/);
  assert.match(dry.stdout, /run +ship +had not run yet/);

  const stillBroken = await cli(["resume", "p1", "--json"], { cwd: dir, env });
  assert.equal(stillBroken.code, 1);
  assert.equal(JSON.parse(stillBroken.stdout).status, "failed", "--json prints one JSON document");

  fs.writeFileSync(path.join(dir, "fixed"), "");
  const resumed = await cli(["resume", "p1"], { cwd: dir, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(readLines(ledger), ["plan", "build", "build", "build", "ship"], "plan ran once");

  const history = await cli(["history", "p1", "--json"], { cwd: dir, env });
  const attempts = JSON.parse(history.stdout) as Array<{
    number: number;
    action: string;
    trigger: string;
    outcome: string;
  }>;
  assert.deepEqual(
    attempts.map((a) => [a.number, a.action, a.trigger, a.outcome]),
    [
      [1, "start", "cli", "failed"],
      [2, "resume", "cli", "failed"],
      [3, "resume", "cli", "succeeded"],
    ],
  );

  const again = await cli(["resume", "p1"], { cwd: dir, env });
  assert.equal(again.code, 3, "a succeeded run is refused because of its state");
  assert.match(
    again.stderr,
    /^cairn: Run "p1" already succeeded, so there is nothing to resume\. Use restart/,
  );
  assert.ok(!again.stderr.includes("    at "), "no stack trace without --verbose");
});

test("restart and rerun from the CLI, and a workflow file that moved (--file)", async () => {
  const dir = tempDir();
  const file = pipeline(dir);
  const ledger = path.join(dir, "ledger");
  const env = { LEDGER: ledger, FIXED: path.join(dir, "fixed") };
  assert.equal((await cli(["run", file, "--id", "r1"], { cwd: dir, env })).code, 1);
  fs.writeFileSync(path.join(dir, "fixed"), "");

  const moved = path.join(dir, "moved.yaml");
  fs.renameSync(file, moved);
  const lost = await cli(["rerun", "--latest-failed", "pipeline", "--failed"], { cwd: dir, env });
  assert.equal(lost.code, 2);
  assert.match(
    lost.stderr,
    /was loaded from .*pipeline\.yaml, which no longer exists; pass its new location with --file/,
  );

  fs.writeFileSync(ledger, "");
  const rerun = await cli(["rerun", "--latest-failed", "pipeline", "--failed", "--file", moved, "--json"], {
    cwd: dir,
    env,
  });
  assert.equal(rerun.code, 0, rerun.stderr);
  const rerunRun = JSON.parse(rerun.stdout) as {
    origin: string;
    parentRunId: string;
    steps: Array<{ id: string; provenance: unknown }>;
  };
  assert.equal(rerunRun.origin, "rerun");
  assert.equal(rerunRun.parentRunId, "r1");
  assert.deepEqual(readLines(ledger), ["build", "ship"], "plan was reused");
  assert.deepEqual(rerunRun.steps.find((s) => s.id === "plan")!.provenance, {
    kind: "reused",
    fromRunId: "r1",
  });

  fs.writeFileSync(ledger, "");
  const restart = await cli(["restart", "r1", "--file", moved, "--json"], { cwd: dir, env });
  assert.equal(restart.code, 0, restart.stderr);
  assert.equal(JSON.parse(restart.stdout).origin, "restart");
  assert.deepEqual(readLines(ledger), ["plan", "build", "ship"], "restart executes every step");

  const show = await cli(["show", JSON.parse(rerun.stdout).id], { cwd: dir, env });
  assert.match(show.stdout, /plan +succeeded .*reused from r1/);
  assert.match(show.stdout, /build +succeeded .*executed here \(ran again: selected\)/);
  assert.match(show.stdout, /origin +rerun of r1/);
});

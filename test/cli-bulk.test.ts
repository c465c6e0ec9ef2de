// `cairn resume --all …` / `restart --all` / `rerun --all --failed` / `cancel --all` through the real binary.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const FIXTURE = path.join(ROOT, "test/fixtures/fails-until-fixed.yaml");

test("resume --all --status failed --workflow W: one dry-run plan, then every run resumed and followed", async () => {
  const cwd = tempDir();
  const fixed = path.join(cwd, "fixed");
  const env = { FIXED: fixed };
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const ran = await cli(["--json", "run", FIXTURE], { cwd, env });
    assert.equal(ran.code, 1, ran.stderr);
    ids.push((JSON.parse(ran.stdout) as { id: string }).id);
  }
  const select = ["--all", "--status", "failed", "--workflow", "fails-until-fixed"];
  const dry = await cli(["resume", ...select, "--dry-run"], { cwd, env });
  assert.equal(dry.code, 0, dry.stderr);
  for (const id of ids)
    assert.match(
      dry.stdout,
      new RegExp(`^${id} {2}fails-until-fixed {2}failed {2}1 keep, 1 retry, 1 run$`, "m"),
    );
  assert.match(dry.stdout, /^plan: 3 runs, 0 refused; 6 steps would execute, 3 kept\.$/m);

  fs.writeFileSync(fixed, "");
  const done = await cli(["resume", ...select], { cwd, env });
  assert.equal(done.code, 0, done.stderr);
  for (const id of ids)
    assert.match(done.stdout, new RegExp(`^${id} {2}fails-until-fixed {2}failed {2}succeeded$`, "m"));
  const history = await cli(["history", "--workflow", "fails-until-fixed", "--limit", "4"], { cwd, env });
  assert.equal(history.code, 0, history.stderr);
  const lines = history.stdout.trim().split("\n");
  assert.equal(lines.length, 5, history.stdout);
  assert.match(lines[0]!, /^run_\S+ {2}#2 .* resume .*→ succeeded/, "newest first: the resumes");
  assert.match(lines[3]!, /^run_\S+ {2}#1 .* start .*→ failed/);
  assert.match(lines[4]!, /^more: --cursor \S+$/);
  const older = await cli(
    ["history", "--workflow", "fails-until-fixed", "--cursor", lines[4]!.split(" ").at(-1)!],
    {
      cwd,
      env,
    },
  );
  assert.equal(older.stdout.trim().split("\n").length, 2, older.stdout);
  const again = await cli(["--json", "resume", ...select, "--dry-run"], { cwd, env });
  assert.deepEqual(JSON.parse(again.stdout).runs, [], "nothing failed is left: repeating is harmless");

  const restartPlan = await cli(
    ["restart", "--all", "--workflow", "fails-until-fixed", "--dry-run", "--limit", "2"],
    {
      cwd,
      env,
    },
  );
  assert.equal(restartPlan.code, 0, restartPlan.stderr);
  assert.match(
    restartPlan.stdout,
    /^plan: 2 runs, 0 refused; 6 steps would execute, 0 kept\.\nMore runs match/m,
  );
  const cancel = await cli(["cancel", "--all", "--workflow", "fails-until-fixed"], { cwd, env });
  assert.equal(cancel.code, 3, "succeeded runs cannot be cancelled: refused");
  assert.match(cancel.stdout, /refused: Cannot cancel run "run_\S+": it is succeeded\./);
});

test("bulk flags: a run id or --all, and --all needs a selection", async () => {
  const cwd = tempDir();
  for (const [args, message] of [
    [["resume"], /Give a run id, or --all with a selection/],
    [["resume", "--all"], /--all needs a selection/],
    [["resume", "run_x", "--all", "--status", "failed"], /Give a run id or --all, not both/],
    [["cancel", "--all", "--status", "nope"], /--status must be one of/],
    [["restart", "--all", "--created-after", "yesterday"], /--created-after must be a time/],
    [["restart", "--all", "--created-after", "2026-12-01T08:00:00"], /--created-after must be a time/],
    [["resume", "--all", "--created-before", "2026-02-31"], /--created-before must be a time/],
    [
      ["cancel", "--all", "--created-after", "2026-12-02", "--created-before", "2026-12-01"],
      /--created-after must be earlier than --created-before/,
    ],
    [["rerun", "--all", "--status", "failed"], /rerun --all reruns failed steps: add --failed/],
    [
      ["rerun", "--all", "--failed", "--status", "failed", "--on-change", "rerun"],
      /--on-change applies to one run/,
    ],
  ] as const) {
    const res = await cli([...args], { cwd });
    assert.equal(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
    assert.match(res.stderr, message);
  }
  assert.equal(fs.existsSync(path.join(cwd, ".cairn")), false, "usage errors create no store");
});

test("rerun --all --failed: one plan over the failed runs, then each rerun as a new run and followed", async () => {
  const cwd = tempDir();
  const fixed = path.join(cwd, "fixed");
  const env = { FIXED: fixed };
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const ran = await cli(["--json", "run", FIXTURE], { cwd, env });
    assert.equal(ran.code, 1, ran.stderr);
    ids.push((JSON.parse(ran.stdout) as { id: string }).id);
  }
  const select = ["--all", "--failed", "--status", "failed", "--workflow", "fails-until-fixed"];
  const dry = await cli(["rerun", ...select, "--dry-run"], { cwd, env });
  assert.equal(dry.code, 0, dry.stderr);
  for (const id of ids)
    assert.match(dry.stdout, new RegExp(`^${id} {2}fails-until-fixed {2}failed {2}2 rerun, 1 keep$`, "m"));
  assert.match(dry.stdout, /^plan: 2 runs, 0 refused; 4 steps would execute, 2 kept\.$/m);

  fs.writeFileSync(fixed, "");
  const done = await cli(["--json", "rerun", ...select], { cwd, env });
  assert.equal(done.code, 0, done.stderr);
  const report = JSON.parse(done.stdout) as {
    results: Array<{ runId: string; ok: boolean; newRunId: string }>;
    settled: Record<string, string>;
  };
  assert.deepEqual(
    report.results.map((r) => [r.runId, r.ok]),
    ids.map((id) => [id, true]),
  );
  for (const r of report.results) {
    assert.equal(report.settled[r.newRunId], "succeeded");
    const shown = JSON.parse((await cli(["--json", "show", r.newRunId], { cwd })).stdout) as {
      origin: string;
      parentRunId: string;
      steps: Array<{ id: string; provenance: { kind: string } | null }>;
    };
    assert.deepEqual([shown.origin, shown.parentRunId], ["rerun", r.runId]);
    assert.deepEqual(
      shown.steps.map((s) => [s.id, s.provenance?.kind ?? "executed"]),
      [
        ["prepare", "reused"],
        ["flaky", "executed"],
        ["finish", "executed"],
      ],
    );
  }
  const again = await cli(["rerun", ...select, "--dry-run"], { cwd, env });
  assert.equal(again.code, 3, "every run was already rerun: refused, so repeating makes nothing new");
  for (const r of report.results)
    assert.match(
      again.stdout,
      new RegExp(`refused: Run "${r.runId}" was already rerun as "${r.newRunId}" \\(succeeded\\)`),
    );
});

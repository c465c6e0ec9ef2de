import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const RELEASE = path.join(ROOT, "examples/release.yaml");
const CHILDREN = ["--workflows", path.join(ROOT, "examples/children")];

test("cairn show names a child run's caller and lists a run's child runs; ls shows the link", async () => {
  const dir = tempDir();
  const db = ["--db", path.join(dir, "cairn.db")];
  const run = await cli(["run", RELEASE, "--id", "rel", ...CHILDREN, ...db], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /package {2}waiting for child run "rel\.package\.1" \(workflow "package"\)/);
  const parent = await cli(["show", "rel", ...db], { cwd: dir });
  assert.match(
    parent.stdout,
    /child runs:\n {2}✓ rel\.package\.1 {2}package {2}succeeded {2}started by step "package"/,
  );
  const child = await cli(["show", "rel.package.1", ...db], { cwd: dir });
  assert.match(child.stdout, /caller {4}step "package" of run rel\n/);
  const listed = await cli(["ls", ...db], { cwd: dir });
  assert.match(listed.stdout, /rel\.package\.1 +package .* child of rel\n/);
});

test("cairn resume --dry-run of a run failed by its child says it resumes the child; resuming the child continues the caller", async () => {
  const dir = tempDir();
  const db = ["--db", path.join(dir, "cairn.db")];
  const run = await cli(["run", RELEASE, "--id", "rel", ...CHILDREN, ...db], {
    cwd: dir,
    env: { PACKAGE_BROKEN: "1" },
  });
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stdout,
    /Child run "rel\.package\.1" \(workflow "package"\) failed: .*packager crashed on linux/,
  );
  const plan = await cli(["resume", "rel", "--dry-run", ...db], { cwd: dir });
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /also resumes child run rel\.package\.1/);
  const childPlan = await cli(["resume", "rel.package.1", "--dry-run", ...db], { cwd: dir });
  assert.match(childPlan.stdout, /also resumes caller run rel\n/);

  // Resumed on its own, in the foreground: the child succeeds and its caller continues to the end.
  const resumed = await cli(["resume", "rel.package.1", ...db], { cwd: dir });
  assert.equal(resumed.code, 0, resumed.stderr);
  const parent = await cli(["show", "rel", "--json", ...db], { cwd: dir });
  const view = JSON.parse(parent.stdout) as { status: string; steps: Array<{ id: string; status: string }> };
  assert.deepEqual(
    view.steps.map((s) => [s.id, s.status]),
    [
      ["version", "succeeded"],
      ["package", "succeeded"],
      ["publish", "succeeded"],
    ],
  );
  assert.equal(view.status, "succeeded");
});

test("cairn run returns (exit 6) when its step waits for a child run that waits for a signal; cairn signal continues child and caller", async () => {
  const dir = tempDir();
  const db = ["--db", path.join(dir, "cairn.db")];
  writeParentAndChild(dir);
  const run = await cli(["run", "parent.yaml", "--workflows", "child.yaml", "--id", "p1", ...db], {
    cwd: dir,
  });
  assert.equal(run.code, 6, run.stderr);
  assert.match(
    run.stdout,
    / {2}step "ask" of child run p1\.call\.1 waits for signal "approve"; send it with:\n {4}cairn signal p1\.call\.1 approve --data '<json>'\n/,
  );

  const sent = await cli(["signal", "p1.call.1", "approve", "--data", '{"by":"ada"}', ...db], { cwd: dir });
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /p1 {2}parent {2}succeeded/);
  const shown = await cli(["show", "p1", "--json", ...db], { cwd: dir });
  const view = JSON.parse(shown.stdout) as { status: string; steps: Array<{ id: string; output: unknown }> };
  assert.equal(view.status, "succeeded");
  assert.deepEqual(view.steps.find((s) => s.id === "call")?.output, { by: "ada" });
});

test("cairn run --json at a child run's signal wait prints the waiting run and exits 6", async () => {
  const dir = tempDir();
  const db = ["--db", path.join(dir, "cairn.db")];
  writeParentAndChild(dir);
  const run = await cli(["run", "parent.yaml", "--workflows", "child.yaml", "--id", "p1", "--json", ...db], {
    cwd: dir,
  });
  assert.equal(run.code, 6, run.stderr);
  const view = JSON.parse(run.stdout) as {
    id: string;
    status: string;
    steps: Array<{ id: string; waiting: { kind: string; runId: string } }>;
  };
  assert.equal(view.status, "running");
  assert.deepEqual([view.steps[0]?.waiting.kind, view.steps[0]?.waiting.runId], ["child", "p1.call.1"]);
  const sent = await cli(["signal", "p1.call.1", "approve", "--data", "1", "--json", ...db], { cwd: dir });
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal((JSON.parse(sent.stdout) as { id: string; status: string }).status, "succeeded");
});

/** parent.yaml, whose step `call` runs child.yaml, whose step `ask` waits for signal `approve`. */
function writeParentAndChild(dir: string): void {
  fs.writeFileSync(
    path.join(dir, "parent.yaml"),
    "id: parent\nsteps:\n  - id: call\n    run-workflow: child\n",
  );
  fs.writeFileSync(
    path.join(dir, "child.yaml"),
    "id: child\nsteps:\n  - id: ask\n    wait: { signal: approve }\n",
  );
}

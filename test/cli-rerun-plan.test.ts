import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { openStore } from "../src/store/open-store.js";
import { cli } from "./helpers/cli.js";
import { pgTestDb } from "./helpers/pg.js";
import { tempDir } from "./helpers/temp.js";

/** a → join ← b; a returns `value`, b fails until $FIXED exists, join returns what it received. */
function writeJoin(file: string, value: number): void {
  fs.writeFileSync(
    file,
    `id: join
steps:
  - id: a
    run: echo ${value} > "$CAIRN_OUTPUT"
  - id: b
    needs: []
    run: |
      test -f "$FIXED" || { echo "b is broken" >&2; exit 2; }
      echo 7 > "$CAIRN_OUTPUT"
  - id: join
    needs: [a, b]
    run: cat "$CAIRN_NEEDS_FILE" > "$CAIRN_OUTPUT"
`,
  );
}

test("rerun --failed after a step's definition changed: refused naming it, --dry-run shows the plan, --on-change decides", async () => {
  const dir = tempDir();
  const file = path.join(dir, "join.yaml");
  const env = { FIXED: path.join(dir, "fixed") };
  writeJoin(file, 5);
  assert.equal((await cli(["run", file, "--id", "r1"], { cwd: dir, env })).code, 1);
  writeJoin(file, 55);
  fs.writeFileSync(env.FIXED, "");

  const refused = await cli(["rerun", "r1", "--failed"], { cwd: dir, env });
  assert.equal(refused.code, 3, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /The definition changed since run "r1" ran for "a"\. Pass --on-change rerun to execute them and their downstream again, or --on-change keep/,
  );

  const dry = await cli(["rerun", "r1", "--failed", "--dry-run", "--on-change", "rerun"], { cwd: dir, env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^rerun plan: 1 run, 2 rerun/);
  assert.match(dry.stdout, /rerun +a +its definition changed since it ran/);
  assert.match(
    dry.stdout,
    /rerun +b +failed: Command exited with code 2: b is broken; selected to run again/,
  );
  assert.match(dry.stdout, /run +join +downstream of changed "a"/);

  const keepPlan = await cli(["rerun", "r1", "--failed", "--dry-run", "--on-change", "keep", "--json"], {
    cwd: dir,
    env,
  });
  assert.equal(keepPlan.code, 0, keepPlan.stderr);
  const a = JSON.parse(keepPlan.stdout).steps[0];
  assert.deepEqual(
    [a.action, a.fromRunId, a.why],
    ["keep", "r1", "its definition changed; output kept (onChange: keep)"],
  );
  const runs = JSON.parse((await cli(["ls", "--json"], { cwd: dir, env })).stdout);
  assert.equal(runs.length, 1, "neither the refusal nor a dry run created a run");

  const rerun = await cli(["rerun", "r1", "--failed", "--on-change", "rerun", "--json"], { cwd: dir, env });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(
    JSON.parse(rerun.stdout).output,
    { a: 55, b: 7 },
    "the join saw the changed step's new output",
  );

  const kept = await cli(["rerun", "r1", "--failed", "--on-change", "keep", "--json"], { cwd: dir, env });
  assert.equal(kept.code, 0, kept.stderr);
  assert.deepEqual(JSON.parse(kept.stdout).output, { a: 5, b: 7 }, "keep reuses the recorded output");
});

/** A run of first.yaml, then a copy with the same id (one step more) elsewhere: each run keeps its own file. */
async function twoCopies(t: TestContext, db: (dir: string) => string): Promise<void> {
  const dir = tempDir();
  const first = path.join(dir, "first.yaml");
  const env = { FIXED: path.join(dir, "fixed") };
  const yaml = `id: first
steps:
  - id: prepare
    run: echo 1 > "$CAIRN_OUTPUT"
  - id: build
    needs: [prepare]
    run: test -f "$FIXED" || { echo "not yet" >&2; exit 2; }
`;
  fs.writeFileSync(first, yaml);
  const args = (...rest: string[]) => ["--db", db(dir), ...rest];
  assert.equal((await cli(args("run", first, "--id", "old"), { cwd: dir, env })).code, 1);
  fs.mkdirSync(path.join(dir, "other"));
  const copy = path.join(dir, "other", "first.yaml");
  // The copy changed a recorded step: resuming "old" with it would be refused.
  fs.writeFileSync(
    copy,
    `${yaml.replace("echo 1", "echo 2")}  - id: publish\n    needs: [build]\n    run: "true"\n`,
  );
  assert.equal((await cli(args("run", copy, "--id", "new"), { cwd: dir, env })).code, 1);

  fs.writeFileSync(env.FIXED, "");
  const resumed = await cli(args("resume", "old", "--json"), { cwd: dir, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(
    JSON.parse(resumed.stdout).steps.map((s: { id: string }) => s.id),
    ["prepare", "build"],
    "resumed with the file it was started from",
  );
  assert.equal(
    resumed.stderr.trim(),
    `cairn: Workflow "first" is now also defined by ${copy}; run "old" uses ${first}, the file it was started from (pass --file to choose another).`,
  );

  const rerun = await cli(args("rerun", "new", "--from", "build", "--json"), { cwd: dir, env });
  assert.equal(rerun.code, 0, rerun.stderr);
  const rerunId = JSON.parse(rerun.stdout).id as string;
  assert.equal(JSON.parse(rerun.stdout).steps.length, 3, "the rerun of the copy's run uses the copy");
  const store = await openStore(db(dir));
  t.after(() => store.close());
  assert.equal((await store.getRun("old"))!.source, first);
  assert.equal((await store.getRun("new"))!.source, copy);
  assert.equal((await store.getRun(rerunId))!.source, copy, "the rerun records its own source");

  fs.rmSync(first);
  const lost = await cli(args("restart", "old"), { cwd: dir, env });
  assert.equal(lost.code, 2);
  assert.equal(
    lost.stderr.trim(),
    `cairn: Workflow "first" was loaded from ${first}, which no longer exists; pass its new location with --file (${copy} now defines a workflow with this id).`,
  );
}

test("resume of an older run uses the file it was started from after a copy with the same id ran (SQLite)", (t) =>
  twoCopies(t, (dir) => path.join(dir, "cairn.db")));

test("resume of an older run uses the file it was started from after a copy with the same id ran (PostgreSQL)", async (t) => {
  const pg = await pgTestDb(t);
  if (pg) await twoCopies(t, () => pg.url);
});

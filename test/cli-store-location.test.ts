import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cli, ROOT } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const OK = path.join(ROOT, "test/fixtures/cli/ok.yaml");

/** One `cairn: …` sentence on stderr, nothing on stdout, exit 2. */
function assertRefused(result: { code: number | null; stdout: string; stderr: string }, pattern: RegExp) {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  assert.match(result.stderr, pattern);
}

test("--db somewhere unusable answers one sentence and exits (no spinning under /proc)", async () => {
  const cwd = tempDir();
  for (const args of [
    ["--db", "/proc/cairn-x/y.db", "run", OK],
    ["--db", "/proc/cairn-x/y.db", "token", "create", "--tenant", "t"],
  ])
    assertRefused(
      await cli(args, { cwd, timeoutMs: 15_000 }),
      /^cairn: Cannot create the directory \/proc\/cairn-x for the store: ENOENT/,
    );
  const file = path.join(cwd, "plain-file");
  fs.writeFileSync(file, "not a directory");
  assertRefused(
    await cli(["--db", path.join(file, "x.db"), "run", OK], { cwd, timeoutMs: 15_000 }),
    /^cairn: Cannot (create the directory|open the store at) .*plain-file/,
  );
});

test("commands about existing runs on a store that does not exist say so and create nothing", async () => {
  const cwd = tempDir();
  for (const args of [
    ["ls"],
    ["show", "run_x"],
    ["logs", "run_x"],
    ["history", "run_x"],
    ["resume", "run_x"],
    ["cancel", "run_x"],
    ["schedules"],
    ["schedules", "pause", "cleanup"],
    ["--db", "/proc/cairn-x/y.db", "ls"],
  ]) {
    const result = await cli(args, { cwd, timeoutMs: 15_000 });
    assertRefused(result, /^cairn: There is no store at \S+: nothing has run here yet/);
  }
  assert.deepEqual(fs.readdirSync(cwd), [], "no .cairn directory, no empty store");
  const elsewhere = path.join(cwd, "elsewhere", "cairn.db");
  const viaEnv = await cli(["ls"], { cwd, env: { CAIRN_DB: elsewhere } });
  assertRefused(viaEnv, new RegExp(`no store at ${elsewhere.replaceAll("/", "\\/")}`));

  // Once something ran, the same commands work.
  assert.equal((await cli(["run", OK], { cwd })).code, 0);
  const listed = await cli(["ls"], { cwd });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /succeeded +run_\S+ +ok /);
});

// Every example in examples/ runs as its header comment says: each situation Cairn was built for,
// failing where the comment says it fails and recovering with the command it names.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cli, ROOT } from "./helpers/cli.js";
import { readLines, tempDir } from "./helpers/temp.js";

const example = (name: string) => path.join(ROOT, "examples", name);

async function cairn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = await cli([...args, "--json"], { cwd, env });
  assert.ok(result.code === 0 || result.code === 1, result.stderr);
  return JSON.parse(result.stdout) as {
    id: string;
    status: string;
    output: unknown;
    steps: Array<{ id: string; status: string; provenance: { kind: string } | null }>;
  };
}

test("hello.yaml: three shell steps, the README's quick start", async () => {
  const run = await cairn(tempDir(), ["run", example("hello.yaml"), "--input", '{"name":"Ada"}']);
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, { shout: "HELLO, ADA!" });
});

test("plan-pipeline.ts: the model fails half way; resume calls it only for the section not drafted", async () => {
  const cwd = tempDir();
  const ledger = path.join(cwd, "model-calls.txt");
  const input = ["--input", '{"topic":"tides"}'];
  const failed = await cairn(cwd, ["run", example("plan-pipeline.ts"), ...input, "--id", "tides"], {
    MODEL_LEDGER: ledger,
    MODEL_DOWN_AT: "future",
  });
  assert.equal(failed.status, "failed");
  assert.deepEqual(readLines(ledger), ["tides: history", "tides: today", "tides: future"]);
  const resumed = await cairn(cwd, ["resume", "tides"], { MODEL_LEDGER: ledger });
  assert.equal(resumed.status, "succeeded");
  assert.deepEqual(readLines(ledger).slice(3), ["tides: future"], "history and today came from memos");
  assert.match(String(resumed.output), /^A paragraph about tides: history\.\n\n.*today.*\n\n.*future\.$/s);
});

test("parallel-branches.ts: two failed branches rerun with --failed; setup reused with its variables", async () => {
  const cwd = tempDir();
  const failed = await cairn(cwd, ["run", example("parallel-branches.ts"), "--id", "graph-1"], {
    BRANCHES_BROKEN: "1",
  });
  assert.deepEqual(
    failed.steps.map((s) => [s.id, s.status]),
    [
      ["setup", "succeeded"],
      ["left", "failed"],
      ["right", "failed"],
      ["audit", "succeeded"],
      ["merge", "pending"],
    ],
  );
  const rerun = await cairn(cwd, ["rerun", "graph-1", "--failed"]);
  assert.equal(rerun.status, "succeeded");
  assert.deepEqual(
    rerun.steps.map((s) => [s.id, s.provenance?.kind ?? "executed"]),
    [
      ["setup", "reused"],
      ["left", "executed"],
      ["right", "executed"],
      ["audit", "reused"],
      ["merge", "executed"],
    ],
  );
  assert.deepEqual((rerun.output as { merge: string[] }).merge, ["left 7 in eu-west", "right 7 in eu-west"]);
});

test("data-pipeline.yaml: declared outputs kept, the load continues from its checkpoint on resume", async () => {
  const cwd = tempDir();
  const failed = await cairn(cwd, ["run", example("data-pipeline.yaml"), "--id", "data-1"], {
    LOAD_FAIL_AT: "6",
  });
  assert.equal(failed.status, "failed");
  assert.ok(fs.existsSync(path.join(cwd, ".cairn", "runs", "data-1", "rows.csv")));
  const resumed = await cairn(cwd, ["resume", "data-1"]);
  assert.equal(resumed.status, "succeeded");
  assert.equal(resumed.output, "loaded 10 rows, resumed at row 6");
});

test("report.ts and report-library.ts: the README's TypeScript and library snippets run as written", async () => {
  const cwd = tempDir();
  const run = await cairn(cwd, ["run", example("report.ts"), "--input", '{"topic":"tides"}']);
  assert.deepEqual([run.status, run.output], ["succeeded", 20]);
  const library = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), example("programs/report-library.ts")],
      { cwd },
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
    ),
  );
  assert.equal(library, "report-2026-11-22 succeeded: 20\n");
  assert.ok(fs.existsSync(path.join(cwd, ".cairn", "cairn.db")));
});

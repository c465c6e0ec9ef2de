// A workflow's own resume strategy (TS option `resume`, YAML `resume:`): what a resume does when the
// request does not say; a request's options override it one by one, and the plan says which applied.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { CairnError, workflow } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { openTemp } from "./helpers/engine.js";
import { tempDir } from "./helpers/temp.js";

test("a workflow's resume defaults apply unless the request says otherwise; the plan names the source", async () => {
  const state = { broken: true, calls: 0 };
  const wf = workflow("careful", { resume: { retryFailed: false, onChange: "rerun" } })
    .step("fetch", () => 1)
    .step("charge", { needs: ["fetch"] }, () => {
      state.calls++;
      if (state.broken) throw new Error("card declined");
      return "charged";
    });
  const { cairn } = await openTemp();
  const run = await (await cairn.start(wf, {})).result();
  assert.equal(run.status, "failed");

  const byWorkflow = await cairn.resumePlan(run.id);
  assert.deepEqual(
    byWorkflow.steps.map((s) => [s.stepId, s.action]),
    [
      ["fetch", "keep"],
      ["charge", "blocked"],
    ],
    "the workflow keeps failed steps failed",
  );
  assert.deepEqual(byWorkflow.strategy, {
    retryFailed: { value: false, from: "workflow" },
    resetRunning: { value: true, from: "default" },
    maxAttempts: { value: null, from: "default" },
    onChange: { value: "rerun", from: "workflow" },
  });

  const asked = await cairn.resumePlan(run.id, { retryFailed: true });
  assert.equal(asked.steps[1]!.action, "retry");
  assert.deepEqual(asked.strategy?.retryFailed, { value: true, from: "request" });

  state.broken = false;
  const resumed = await (await cairn.resume(run.id, { retryFailed: true })).result();
  assert.deepEqual([resumed.status, state.calls], ["succeeded", 2]);
  const [, second] = await cairn.history(run.id);
  assert.deepEqual(
    second!.strategy,
    {
      retryFailed: true,
      resetRunning: true,
      onChange: "rerun",
      maxAttempts: null,
      resetAttempts: false,
      markDone: null,
    },
    "the attempt records the strategy it applied",
  );
  await cairn.close();
});

test("a workflow's maxAttempts bounds a resume that does not ask for more", async () => {
  const wf = workflow("bounded", { resume: { maxAttempts: 1 } }).step("only", () => {
    throw new Error("still broken");
  });
  const { cairn } = await openTemp();
  const run = await (await cairn.start(wf, {})).result();
  const plan = await cairn.resumePlan(run.id);
  assert.equal(plan.steps[0]!.action, "blocked");
  assert.match(plan.steps[0]!.why, /retry budget exhausted: 1 of 1 attempts used/);
  assert.equal((await cairn.resumePlan(run.id, { maxAttempts: 2 })).steps[0]!.action, "retry");
  await cairn.close();
});

test("a bad resume block is refused with every problem at once", () => {
  const wf = workflow("bad", {
    resume: { retryFailed: "yes", maxAttempts: 0, onChange: "ignore", later: true } as never,
  }).step("a", () => 1);
  assert.throws(
    () => wf.definition(),
    (error: unknown) => {
      assert.ok(error instanceof CairnError);
      assert.equal(error.code, "INVALID_DEFINITION");
      for (const problem of [
        'resume has no option "later" (it takes retryFailed, resetRunning, maxAttempts, onChange)',
        'resume.retryFailed must be true or false, got "yes"',
        "resume.maxAttempts must be",
        'resume.onChange must be one of error, rerun, keep, got "ignore"',
      ])
        assert.ok(error.message.includes(problem), `${problem}\nin: ${error.message}`);
      return true;
    },
  );
});

test("YAML resume: block; the CLI's plan shows what the workflow chose, and a flag overrides it", async () => {
  const cwd = tempDir();
  const file = path.join(cwd, "careful.yaml");
  fs.writeFileSync(
    file,
    `id: careful
resume:
  retryFailed: false
steps:
  - id: charge
    run: test -f fixed
`,
  );
  const ran = await cli(["--json", "run", file, "--id", "c1"], { cwd });
  assert.equal(ran.code, 1, ran.stderr);
  const dry = await cli(["resume", "c1", "--dry-run"], { cwd });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^ {2}strategy: retryFailed false \(the workflow's\)$/m);
  assert.match(dry.stdout, /^ {2}blocked {3}charge/m);
  fs.writeFileSync(path.join(cwd, ".cairn", "runs", "c1", "fixed"), "");
  const resumed = await cli(["resume", "c1", "--retry-failed"], { cwd });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /strategy: retryFailed true \(asked\)/);

  fs.writeFileSync(file, "id: careful\nresume: { retryFailed: maybe }\nsteps:\n  - id: a\n    run: 'true'\n");
  const bad = await cli(["validate", file], { cwd });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /resume\.retryFailed must be true or false, got "maybe"/);
});

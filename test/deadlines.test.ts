import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { storeOf } from "../src/engine/client-state.js";
import { workflow } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { openTemp } from "./helpers/engine.js";
import { tempDir, until } from "./helpers/temp.js";

/** A step that hangs until its signal fires, the first time only (a flag in `state`). */
function hangOnce(state: { calls: number }) {
  return async ({ signal }: { signal: AbortSignal }) => {
    state.calls++;
    if (state.calls > 1) return "finished";
    await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
  };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("run deadlines (library)", () => {
  test("past the workflow's timeout the run fails with the reason, and a resume gets a fresh deadline", async () => {
    const { cairn } = await openTemp();
    const state = { calls: 0 };
    const wf = workflow("deadline", { timeout: "300ms" })
      .step("first", () => 1)
      .step("hang", hangOnce(state));
    const started = Date.now();
    const run = await (await cairn.start(wf, {})).result();
    assert.equal(run.status, "failed");
    assert.equal(run.reason, "deadline exceeded after 300ms");
    assert.match(run.error?.message ?? "", /deadline exceeded after 300ms/);
    assert.ok(Date.now() - started < 5000, "the deadline ended the hang, not a step timeout");
    const view = await cairn.get(run.id);
    const hang = view!.steps.find((s) => s.stepId === "hang")!;
    assert.equal(hang.status, "failed");
    assert.match(hang.error?.message ?? "", /^Aborted: the run's deadline exceeded after 300ms/);
    assert.equal(view!.steps.find((s) => s.stepId === "first")!.status, "succeeded");
    const history = await cairn.history(run.id);
    assert.equal(history[0]!.outcome, "failed");
    assert.equal(history[0]!.note, "deadline exceeded after 300ms");

    const resumed = await (await cairn.resume(run.id, { timeout: "5s" })).result();
    assert.equal(resumed.status, "succeeded", resumed.error?.message);
    assert.equal(resumed.timeoutMs, 5000);
    assert.equal(state.calls, 2, "the resume executed the aborted step again, and only it");
  });

  test("a start option overrides the workflow's timeout; a run without one has no deadline", async () => {
    const { cairn } = await openTemp();
    const wf = workflow("quick", { timeout: "1h" }).step("a", () => 1);
    const handle = await cairn.start(wf, {}, { timeout: 250 });
    assert.equal(handle.run.timeoutMs, 250);
    assert.ok(handle.run.deadlineAt !== null && handle.run.deadlineAt <= Date.now() + 250);
    await handle.result();
    const plain = await cairn.start(
      workflow("plain").step("a", () => 1),
      {},
    );
    assert.equal(plain.run.deadlineAt, null);
    await assert.rejects(cairn.start(wf, {}, { timeout: "soon" }), /run timeout must be a duration/);
  });

  test("stepTimeout applies to steps that declare no timeout", async () => {
    const { cairn } = await openTemp();
    const wf = workflow("forgotten", { stepTimeout: "200ms" })
      .step("own", { timeout: "10s" }, async () => "own timeout kept")
      .step(
        "hang",
        { needs: [] },
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
      );
    assert.equal(wf.definition().steps.find((s) => s.id === "own")!.timeoutMs, 10_000);
    const run = await (await cairn.start(wf, {})).result();
    assert.equal(run.status, "failed");
    const view = await cairn.get(run.id);
    assert.match(view!.steps.find((s) => s.stepId === "hang")!.error?.message ?? "", /timed out after 200ms/);
    assert.equal(view!.steps.find((s) => s.stepId === "own")!.status, "succeeded");
  });
});

describe("run deadlines (cairn run, a real shell step)", () => {
  test("the shell step's process group is killed, the run fails with the reason and resumes", async () => {
    const cwd = tempDir();
    const file = path.join(cwd, "hang.yaml");
    fs.writeFileSync(
      file,
      [
        "id: hang",
        "timeout: 1s",
        "steps:",
        "  - id: first",
        "    run: echo one",
        "  - id: wait",
        // A grandchild in the step's process group: it must die with the step.
        `    run: if [ -f ${cwd}/once ]; then echo done; else touch ${cwd}/once; sleep 60 & echo $! > ${cwd}/sleeper; wait; fi`,
      ].join("\n"),
    );
    const result = await cli(["run", file, "--json"], { cwd });
    assert.equal(result.code, 1, result.stderr);
    const run = JSON.parse(result.stdout) as { id: string; status: string; reason: string };
    assert.equal(run.status, "failed");
    assert.equal(run.reason, "deadline exceeded after 1.0s");
    const sleeper = Number(fs.readFileSync(path.join(cwd, "sleeper"), "utf8"));
    await until(() => !pidAlive(sleeper), "the step's sleep to be killed", 10_000);

    const shown = await cli(["show", run.id], { cwd });
    assert.match(shown.stdout, /failed — deadline exceeded after 1\.0s/);
    const resumed = await cli(["resume", run.id, "--timeout", "30s"], { cwd });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  });

  test("--timeout is checked before anything is recorded", async () => {
    const cwd = tempDir();
    const file = path.join(cwd, "ok.yaml");
    fs.writeFileSync(file, "id: ok\nstepTimeout: 10s\nsteps:\n  - id: a\n    run: echo a\n");
    const result = await cli(["run", file, "--timeout", "forever"], { cwd });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^cairn: The run timeout must be a duration like "500ms"/);
    const listed = await cli(["ls", "--json"], { cwd });
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });
});

describe("run deadlines (claims)", () => {
  test("a run whose deadline passed before any worker took it fails at the claim; no step starts", async () => {
    const { cairn, db } = await openTemp({ execute: false });
    const wf = workflow("queued", { timeout: "1h" }).step("a", () => 1);
    await cairn.register(wf);
    const queued = await cairn.start(wf, {}, { detach: true });
    // The hour has passed (backdated): nobody executed it meanwhile.
    await storeOf(cairn).transaction((tx) => tx.updateRun(queued.id, { deadlineAt: Date.now() - 1 }));

    const { Cairn } = await import("../src/index.js");
    const worker = await Cairn.open({ db, pollIntervalMs: 50, onlyOwnRuns: false });
    try {
      await worker.register(wf);
      const run = await until(async () => {
        const found = await storeOf(worker).getRun(queued.id);
        return found?.status === "failed" ? found : undefined;
      }, "the run to fail at its deadline");
      assert.equal(run.reason, "deadline exceeded after 60m0s");
      const events = await worker.events(queued.id);
      assert.ok(!events.some((e) => e.type === "step.started"), "no step started after the deadline");
      assert.equal((await worker.get(queued.id))?.steps[0]?.status, "ready", "a resume will run it");
    } finally {
      await worker.close();
    }
  });
});

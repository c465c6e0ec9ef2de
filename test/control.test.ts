import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loadOneWorkflow, workflow } from "../src/index.js";
import { gate, openTemp } from "./helpers/engine.js";
import { until } from "./helpers/temp.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("cancel kills a running shell step's whole process tree; resume continues the run", async () => {
  const { cairn, dir } = await openTemp();
  const file = path.join(dir, "wf.yaml");
  fs.writeFileSync(
    file,
    `id: long-shell
steps:
  - id: prepare
    run: echo ready > prepared.txt
  - id: crunch
    run: |
      if [ -f "$BLOCK" ]; then
        sleep 300 &
        echo $! > grandchild.pid
        wait
      fi
      echo '{"crunched":true}' > "$CAIRN_OUTPUT"
  - id: publish
    run: cat prepared.txt
`,
  );
  const block = path.join(dir, "block");
  fs.writeFileSync(block, "");
  process.env.BLOCK = block;
  const wf = await loadOneWorkflow(file);
  const handle = await cairn.start(wf, {});
  const pidFile = path.join(handle.run.workdir, "grandchild.pid");
  const pid = Number(
    await until(
      () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim(),
      "the grandchild pid",
    ),
  );
  assert.ok(alive(pid));

  await cairn.cancel(handle.id);
  const cancelled = await handle.result();
  assert.equal(cancelled.status, "cancelled");
  await until(() => !alive(pid), "the grandchild process to be gone", 8000);
  const step = (await cairn.get(handle.id))!.steps.find((s) => s.stepId === "crunch")!;
  assert.equal(step.status, "cancelled");

  fs.rmSync(block);
  const plan = await cairn.resumePlan(handle.id);
  assert.deepEqual(
    plan.steps.map((s) => `${s.stepId}:${s.action}`),
    ["prepare:keep", "crunch:run", "publish:run"],
  );
  const run = await (await cairn.resume(handle.id)).result();
  assert.equal(run.status, "succeeded");
  assert.ok(fs.existsSync(path.join(run.workdir, "prepared.txt")), "files of the cancelled attempt are kept");
});

test("pause lets the running step finish and starts nothing new; resume continues", async () => {
  const { cairn } = await openTemp();
  const release = gate();
  const started = gate();
  const ran: string[] = [];
  const wf = workflow("pausable")
    .step("first", async () => {
      started.open();
      await release.promise;
      ran.push("first");
      return 1;
    })
    .step("second", async ({ needs }) => (ran.push("second"), needs.first + 1));
  const handle = await cairn.start(wf, {});
  await started.promise;
  const paused = await cairn.pause(handle.id);
  assert.equal(paused.status, "paused");
  release.open();
  const run = await handle.result();
  assert.equal(run.status, "paused");
  assert.deepEqual(ran, ["first"], "the running step finished, the next did not start");
  const steps = (await cairn.get(handle.id))!.steps;
  assert.equal(steps.find((s) => s.stepId === "first")!.status, "succeeded");
  const resumed = await (await cairn.resume(handle.id)).result();
  assert.equal(resumed.status, "succeeded");
  assert.equal(resumed.output, 2);
  assert.deepEqual(ran, ["first", "second"]);
  assert.deepEqual(
    (await cairn.history(handle.id)).map((h) => h.outcome),
    ["paused", "succeeded"],
  );
  await assert.rejects(cairn.pause(handle.id), /Cannot pause run .*: it is succeeded/);
});

test("a succeeded step whose declared file went missing runs again on resume, with its downstream", async () => {
  const { cairn, dir } = await openTemp();
  const file = path.join(dir, "files.yaml");
  fs.writeFileSync(
    file,
    `id: files
steps:
  - id: render
    outputs: [report.html]
    run: echo "<h1>report</h1>" > report.html && echo render >> ../render.count
  - id: zip
    outputs: [report.zip]
    run: cp report.html report.zip
  - id: upload
    run: test -f "$UPLOAD_OK"
`,
  );
  process.env.UPLOAD_OK = path.join(dir, "upload-ok");
  const handle = await cairn.start(await loadOneWorkflow(file), {});
  const failed = await handle.result();
  assert.equal(failed.status, "failed");
  const render = (await cairn.get(handle.id))!.steps.find((s) => s.stepId === "render")!;
  assert.match((render.files as Record<string, string>)["report.html"]!, /^[0-9a-f]{64}$/);

  fs.rmSync(path.join(failed.workdir, "report.html"));
  fs.writeFileSync(path.join(dir, "upload-ok"), "");
  const plan = await cairn.resumePlan(handle.id);
  assert.deepEqual(
    plan.steps.map((s) => [s.stepId, s.action, s.cause]),
    [
      ["render", "rerun", "declared-file-changed"],
      ["zip", "rerun", "downstream"],
      ["upload", "retry", "failed"],
    ],
  );
  assert.match(plan.steps[0]!.why, /declared file report\.html is missing or changed/);
  const run = await (await cairn.resume(handle.id)).result();
  assert.equal(run.status, "succeeded");
  assert.equal(
    fs.readFileSync(path.join(failed.workdir, "../render.count"), "utf8").trim().split("\n").length,
    2,
  );
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { loadOneWorkflow, type RunRecord, type StepRecord } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";
import { readLines, tempDir } from "./helpers/temp.js";

const dir = tempDir("cairn-shell-");
let counter = 0;

/**
 * Run a YAML workflow (text after the `id:` line) through a real Cairn on a temp SQLite store.
 * `$NODE` is the running node binary, set through the workflow's `env:`.
 */
async function runYaml(body: string, input: unknown = {}) {
  const file = path.join(dir, `shell-${++counter}.yaml`);
  fs.writeFileSync(file, `id: shell-${counter}\nenv:\n  NODE: ${JSON.stringify(process.execPath)}\n${body}`);
  const { cairn } = await openTemp();
  const handle = await cairn.start(await loadOneWorkflow(file), input);
  const run: RunRecord = await handle.result();
  const view = await cairn.get(run.id);
  const steps = new Map<string, StepRecord>((view?.steps ?? []).map((s) => [s.stepId, s]));
  return { cairn, run, steps, step: (id: string) => steps.get(id)! };
}

test("a non-zero exit fails the step; the error has the exit code and the last stderr lines", async () => {
  const { run, step } = await runYaml(`steps:
  - id: boom
    run: |
      echo "working" 
      echo "early noise" >&2
      echo "line one" >&2
      echo "line two" >&2
      echo "disk full" >&2
      exit 7
  - id: after
    run: echo never
`);
  assert.equal(run.status, "failed");
  assert.equal(step("boom").status, "failed");
  assert.equal(step("boom").error?.message, "Command exited with code 7: line one | line two | disk full");
  assert.equal(step("after").status, "pending", "a step after a failure does not run");
  assert.match(run.error?.message ?? "", /Step "boom" failed: Command exited with code 7/);
});

test("stdout and stderr lines are kept as the step's log, each with its stream", async () => {
  const { cairn, run } = await runYaml(`steps:
  - id: chatty
    run: |
      echo "out 1"
      echo "err 1" >&2
      echo "out 2"
      printf "err 2 without newline" >&2
`);
  assert.equal(run.status, "succeeded");
  const lines = await cairn.logs(run.id, "chatty");
  const of = (stream: string) => lines.filter((l) => l.stream === stream).map((l) => l.line);
  assert.deepEqual(of("stdout"), ["out 1", "out 2"]);
  assert.deepEqual(of("stderr"), ["err 1", "err 2 without newline"]);
  assert.ok(lines.every((l) => l.attempt === 1 && l.stepId === "chatty"));
});

test("JSON written to $CAIRN_OUTPUT is the output; $CAIRN_NEEDS and $CAIRN_INPUT carry it on", async () => {
  const { run, step } = await runYaml(
    `steps:
  - id: produce
    run: |
      echo '{"rows": 3, "names": ["a", "b"]}' > "$CAIRN_OUTPUT"
  - id: other
    needs: []
    run: echo '"plain string"' > "$CAIRN_OUTPUT"
  - id: consume
    needs: [produce, other]
    run: |
      "$NODE" -e '
        const fs = require("fs");
        const seen = {
          input: JSON.parse(process.env.CAIRN_INPUT),
          inputFile: JSON.parse(fs.readFileSync(process.env.CAIRN_INPUT_FILE, "utf8")),
          needs: JSON.parse(process.env.CAIRN_NEEDS),
          needsFile: JSON.parse(fs.readFileSync(process.env.CAIRN_NEEDS_FILE, "utf8")),
          ids: [process.env.CAIRN_STEP_ID, process.env.CAIRN_ATTEMPT, process.env.CAIRN_RUN_ID.length > 0],
        };
        fs.writeFileSync(process.env.CAIRN_OUTPUT, JSON.stringify(seen));
      '
  - id: silent
    run: "true"
`,
    { topic: "tides", n: 2 },
  );
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  assert.deepEqual(step("produce").output, { rows: 3, names: ["a", "b"] });
  assert.equal(step("other").output, "plain string");
  const expectedNeeds = { produce: { rows: 3, names: ["a", "b"] }, other: "plain string" };
  assert.deepEqual(step("consume").output, {
    input: { topic: "tides", n: 2 },
    inputFile: { topic: "tides", n: 2 },
    needs: expectedNeeds,
    needsFile: expectedNeeds,
    ids: ["consume", "1", true],
  });
  assert.equal(step("silent").output, null, "nothing written to $CAIRN_OUTPUT is a null output");
  assert.equal(run.output, null, "the run's output is its last step's");
});

test("invalid JSON in $CAIRN_OUTPUT fails the step with a clear error", async () => {
  const { run, step } = await runYaml(`steps:
  - id: sloppy
    run: |
      echo "rows: 3" > "$CAIRN_OUTPUT"
`);
  assert.equal(run.status, "failed");
  const message = step("sloppy").error?.message ?? "";
  assert.equal(message, 'The command wrote invalid JSON to $CAIRN_OUTPUT: "rows: 3"');
});

test("the command runs in the run's working directory, shared by the run's steps", async () => {
  const { run, step } = await runYaml(`steps:
  - id: write
    run: pwd > where.txt && echo hello > shared.txt
  - id: read
    run: |
      echo "{\\"text\\": \\"$(cat shared.txt)\\"}" > "$CAIRN_OUTPUT"
`);
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  const where = fs.readFileSync(path.join(run.workdir, "where.txt"), "utf8").trim();
  assert.equal(fs.realpathSync(where), fs.realpathSync(run.workdir));
  assert.deepEqual(step("read").output, { text: "hello" });
});

test("env: workflow values reach every step; a step's own env overrides them", async () => {
  const { step } = await runYaml(`steps:
  - id: show
    env: { GREETING: hi, COUNT: 3, LOUD: true }
    run: |
      echo "{\\"greeting\\": \\"$GREETING\\", \\"count\\": \\"$COUNT\\", \\"loud\\": \\"$LOUD\\", \\"node\\": \\"$NODE\\"}" > "$CAIRN_OUTPUT"
  - id: override
    env: { NODE: replaced }
    run: echo "\\"$NODE\\"" > "$CAIRN_OUTPUT"
`);
  assert.deepEqual(step("show").output, { greeting: "hi", count: "3", loud: "true", node: process.execPath });
  assert.equal(step("override").output, "replaced");
});

test("declared outputs: the digest of each file is recorded", async () => {
  const { run, step } = await runYaml(`steps:
  - id: build
    outputs: [report.txt, out/data.csv]
    run: mkdir -p out && printf 'report body' > report.txt && printf 'a,b\\n1,2\\n' > out/data.csv
`);
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  assert.deepEqual(step("build").files, {
    "report.txt": sha("report body"),
    "out/data.csv": sha("a,b\n1,2\n"),
  });
});

test("declared outputs: a missing file fails the step even though the command exited 0", async () => {
  const { run, step } = await runYaml(`steps:
  - id: build
    outputs: [report.txt, missing.txt, also-missing.txt]
    run: printf 'x' > report.txt
`);
  assert.equal(run.status, "failed");
  assert.equal(step("build").status, "failed");
  assert.equal(
    step("build").error?.message,
    "Declared output files missing after the step: missing.txt, also-missing.txt.",
  );
});

test("retries run the command again, with $CAIRN_ATTEMPT counting up", async () => {
  const ledger = path.join(dir, `ledger-${counter + 1}.txt`);
  const { cairn, run, step } = await runYaml(`steps:
  - id: flaky
    retry: { attempts: 3, backoff: { initial: 1ms } }
    run: |
      echo "attempt $CAIRN_ATTEMPT" >> ${JSON.stringify(ledger)}
      if [ "$CAIRN_ATTEMPT" -lt 3 ]; then echo "not yet" >&2; exit 1; fi
      echo '"done"' > "$CAIRN_OUTPUT"
`);
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  assert.deepEqual(readLines(ledger), ["attempt 1", "attempt 2", "attempt 3"]);
  assert.equal(step("flaky").attempts, 3);
  assert.equal(step("flaky").output, "done");
  const logs = await cairn.logs(run.id, "flaky");
  assert.deepEqual(
    logs.filter((l) => l.line === "not yet").map((l) => l.attempt),
    [1, 2],
    "each attempt's stderr is kept under its attempt number",
  );
});

test("a failing step fails only its branch; the other branch still runs", async () => {
  const { run, step } = await runYaml(`steps:
  - id: bad
    run: exit 2
  - id: after-bad
    run: echo never
  - id: good
    needs: []
    run: echo '1' > "$CAIRN_OUTPUT"
  - id: after-good
    run: echo '2' > "$CAIRN_OUTPUT"
`);
  assert.equal(run.status, "failed");
  assert.equal(step("after-bad").status, "pending");
  assert.equal(step("good").output, 1);
  assert.equal(step("after-good").output, 2);
});

test("input over 64 KiB is passed in $CAIRN_INPUT_FILE only", async () => {
  const big = "x".repeat(70_000);
  const { step } = await runYaml(
    `steps:
  - id: size
    run: |
      "$NODE" -e '
        const fs = require("fs");
        const fromFile = JSON.parse(fs.readFileSync(process.env.CAIRN_INPUT_FILE, "utf8"));
        fs.writeFileSync(process.env.CAIRN_OUTPUT, JSON.stringify([process.env.CAIRN_INPUT, fromFile.big.length]));
      '
`,
    { big },
  );
  assert.deepEqual(step("size").output, ["", 70_000]);
});

test("a failed command's error shows its last stderr lines where a stack would be, never Cairn's own stack", async () => {
  const lines = Array.from({ length: 25 }, (_, i) => `echo "problem ${i + 1}" >&2`).join("\n      ");
  const { step } = await runYaml(`steps:
  - id: noisy
    run: |
      ${lines}
      exit 2
  - id: quiet
    needs: []
    run: exit 4
`);
  const noisy = step("noisy").error!;
  assert.equal(noisy.code, "COMMAND_FAILED");
  assert.equal(noisy.message, "Command exited with code 2: problem 23 | problem 24 | problem 25");
  assert.equal(
    noisy.stack,
    Array.from({ length: 20 }, (_, i) => `problem ${i + 6}`).join("\n"),
    "the last 20 stderr lines",
  );
  assert.doesNotMatch(noisy.stack ?? "", /shell-step|step-runner|\n\s+at /);
  const quiet = step("quiet").error!;
  assert.equal(quiet.message, "Command exited with code 4");
  assert.equal(quiet.stack, undefined, "nothing on stderr: no stack at all");
});

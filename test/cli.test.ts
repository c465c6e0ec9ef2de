import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { type CliResult, cli, ROOT } from "./helpers/cli.js";
import { readLines, tempDir } from "./helpers/temp.js";

// The real binary runs dist/: `npm run build` first (`npm test` does).
const FIXTURES = path.join(ROOT, "test/fixtures/cli");
const fixture = (name: string) => path.join(FIXTURES, name);

/** `cairn …` in `cwd` (its store is `cwd/.cairn/cairn.db`). */
const cairn = (cwd: string, ...args: string[]) => cli(args, { cwd });

/** Parse stdout as exactly one JSON document (fails on any other output). */
function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    assert.fail(`stdout is not one JSON document:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

interface RunJson {
  id: string;
  status: string;
  workflowId: string;
  output: unknown;
  input: unknown;
  steps: Array<{
    id: string;
    status: string;
    attempts: number;
    output: unknown;
    error: { message: string } | null;
  }>;
}

/** An error: one `cairn: …` sentence on stderr, no stack trace, nothing on stdout. */
function assertOneSentence(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^cairn: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace without --verbose");
  assert.equal(result.stdout, "");
}

describe("cairn run: exit codes and output", () => {
  test("exits 0 when the run succeeded, with one progress line per step", async () => {
    const cwd = tempDir();
    const result = await cairn(cwd, "run", fixture("ok.yaml"));
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^✓ greet {2}\d/);
    assert.match(lines[1]!, /^✓ shout {2}\d/);
    assert.match(lines.at(-2)!, /^✓ run_\S+ {2}ok {2}succeeded /);
    assert.equal(lines.at(-1), '  output: "HELLO"', "the run's output ends the report");
    assert.equal(result.stderr, "");
  });

  test("exits 1 when the run failed; the other branch still ran", async () => {
    const cwd = tempDir();
    const result = await cairn(cwd, "run", fixture("failing.yaml"));
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stdout,
      /^↻ boom {2}failed, retrying: Command exited with code 3: first warning \| disk is full$/m,
    );
    assert.match(result.stdout, /^✓ side /m);
    assert.match(
      result.stdout,
      /^✗ boom {2}\S+ {2}Command exited with code 3: first warning \| disk is full$/m,
    );
    assert.match(result.stdout, /^✗ run_\S+ {2}failing {2}failed /m);
    assert.doesNotMatch(result.stdout, /after/, "the step after the failure never ran");
    assert.equal(result.stderr, "", "a failed run is a result, not a CLI error");
  });

  test("--json prints exactly one JSON document and nothing else, for success and failure", async () => {
    const cwd = tempDir();
    const ok = await cairn(cwd, "run", fixture("ok.yaml"), "--json");
    assert.equal(ok.code, 0);
    const run = json<RunJson>(ok);
    assert.equal(run.status, "succeeded");
    assert.equal(run.output, "HELLO");
    assert.deepEqual(
      run.steps.map((s) => [s.id, s.status, s.output]),
      [
        ["greet", "succeeded", { greeting: "hello" }],
        ["shout", "succeeded", "HELLO"],
      ],
    );
    const failed = await cairn(cwd, "run", fixture("failing.yaml"), "--json");
    assert.equal(failed.code, 1);
    const failedRun = json<RunJson>(failed);
    assert.equal(failedRun.status, "failed");
    const boom = failedRun.steps.find((s) => s.id === "boom");
    assert.equal(boom?.attempts, 2);
    assert.equal(boom?.error?.message, "Command exited with code 3: first warning | disk is full");
  });

  test("--input and --input-file are the run input", async () => {
    const cwd = tempDir();
    const inline = json<RunJson>(
      await cairn(cwd, "--json", "run", fixture("report.ts"), "--input", '{"topic":"tides"}'),
    );
    assert.deepEqual(inline.input, { topic: "tides", pages: 2 });
    fs.writeFileSync(path.join(cwd, "input.json"), '{"topic":"moons","pages":1}');
    const fromFile = json<RunJson>(
      await cairn(cwd, "run", fixture("report.ts"), "--input-file", "input.json", "--json"),
    );
    assert.equal(fromFile.output, "moons: 5 rows");
  });
});

describe("cairn run: exit 2 for bad usage, an invalid definition or bad input, leaving no run", () => {
  const cwd = tempDir();
  const cases: Array<[string, string[], RegExp]> = [
    ["a missing file", ["run", "nowhere.yaml"], /^cairn: Workflow file nowhere\.yaml does not exist\.$/],
    [
      "an invalid definition (a cycle)",
      ["run", fixture("cycle.yaml")],
      /^cairn: Workflow "cyclic" is invalid: steps form a cycle: a -> b -> a\.$/,
    ],
    [
      "malformed YAML, with file, line and column",
      ["run", fixture("malformed.yaml")],
      /^cairn: .*malformed\.yaml:4:10: this quoted value is never closed \(missing closing quote\)\.$/,
    ],
    [
      "--input that is not JSON",
      ["run", fixture("ok.yaml"), "--input", "{topic: tides}"],
      /^cairn: --input is not valid JSON: /,
    ],
    [
      "an --input-file that does not exist",
      ["run", fixture("ok.yaml"), "--input-file", "missing.json"],
      /^cairn: Input file missing\.json does not exist\.$/,
    ],
    [
      "both --input and --input-file",
      ["run", fixture("ok.yaml"), "--input", "{}", "--input-file", "x.json"],
      /^cairn: Give either --input or --input-file, not both\.$/,
    ],
    [
      "input that fails the workflow's schema",
      ["run", fixture("report.ts"), "--input", '{"topic": 7}'],
      /^cairn: Input for workflow "report" is invalid: topic: Invalid input: expected string, received number\.$/,
    ],
    [
      "a run id with forbidden characters",
      ["run", fixture("ok.yaml"), "--id", "no spaces allowed"],
      /^cairn: Run id "no spaces allowed" may only contain/,
    ],
  ];
  for (const [name, args, pattern] of cases)
    test(name, async () => {
      const result = await cairn(cwd, ...args);
      assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
      assertOneSentence(result, pattern);
    });

  test("bad usage (an unknown option, a missing argument) exits 2", async () => {
    const unknown = await cairn(cwd, "run", fixture("ok.yaml"), "--frobnicate");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--frobnicate'/);
    const missing = await cairn(cwd, "run");
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'file-or-id'/);
  });

  test("none of the refused commands left a run behind", async () => {
    const ls = await cairn(cwd, "ls", "--json");
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(json(ls), []);
    const runsDir = path.join(cwd, ".cairn", "runs");
    assert.deepEqual(fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : [], []);
  });
});

describe("cairn run --id", () => {
  test("the same id twice returns the same run: one execution, one run in ls", async () => {
    const cwd = tempDir();
    const ledger = path.join(cwd, "ledger.txt");
    const env = { LEDGER: ledger };
    const first = await cli(["run", fixture("counted.yaml"), "--id", "nightly-2024-01-01", "--json"], {
      cwd,
      env,
    });
    const second = await cli(["run", fixture("counted.yaml"), "--id", "nightly-2024-01-01", "--json"], {
      cwd,
      env,
    });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(json<RunJson>(first).id, "nightly-2024-01-01");
    assert.deepEqual(json<RunJson>(second), json<RunJson>(first));
    assert.deepEqual(readLines(ledger), ["executed"], "the step executed once");
    const runs = json<RunJson[]>(await cairn(cwd, "ls", "--json"));
    assert.deepEqual(
      runs.map((r) => r.id),
      ["nightly-2024-01-01"],
    );
  });

  test("the second call reports the first run's outcome in its exit code", async () => {
    const cwd = tempDir();
    assert.equal((await cairn(cwd, "run", fixture("failing.yaml"), "--id", "f1")).code, 1);
    const again = await cairn(cwd, "run", fixture("failing.yaml"), "--id", "f1");
    assert.equal(again.code, 1);
    assert.match(again.stdout, /^✗ f1 {2}failing {2}failed /m);
  });
});

describe("inspecting runs: ls, show, logs", () => {
  const cwd = tempDir();
  let okId = "";
  let failedId = "";

  test("set up: one succeeded and one failed run", async () => {
    okId = json<RunJson>(await cairn(cwd, "run", fixture("ok.yaml"), "--json")).id;
    failedId = json<RunJson>(await cairn(cwd, "run", fixture("failing.yaml"), "--json")).id;
    assert.ok(okId && failedId);
  });

  test("ls lists runs newest first; --status and --workflow filter; --json is one document", async () => {
    const all = await cairn(cwd, "ls");
    assert.equal(all.code, 0);
    const lines = all.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3, "a header and two runs");
    assert.match(lines[0]!, /^STATUS +RUN +WORKFLOW +STARTED \(UTC\) +DURATION +ATTEMPT/);
    assert.match(lines[1]!, new RegExp(`^✗ failed +${failedId} +failing +`));
    assert.match(lines[2]!, new RegExp(`^✓ succeeded +${okId} +ok +`));

    const failed = json<RunJson[]>(await cairn(cwd, "ls", "--status", "failed", "--json"));
    assert.deepEqual(
      failed.map((r) => r.id),
      [failedId],
    );
    const byWorkflow = json<RunJson[]>(await cairn(cwd, "ls", "--workflow", "ok", "--json"));
    assert.deepEqual(
      byWorkflow.map((r) => [r.id, r.workflowId, r.status]),
      [[okId, "ok", "succeeded"]],
    );
    const none = await cairn(cwd, "ls", "--status", "cancelled");
    assert.equal(none.stdout, "No runs.\n");
    const bad = await cairn(cwd, "ls", "--status", "done");
    assert.equal(bad.code, 2);
    assertOneSentence(
      bad,
      /--status must be one of running, paused, succeeded, failed, cancelled, interrupted/,
    );
  });

  test("show prints every step with status, attempts, duration and the first line of its error", async () => {
    const result = await cairn(cwd, "show", failedId);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^run {7}${failedId}$`, "m"));
    assert.match(result.stdout, /^status {4}✗ failed$/m);
    assert.match(
      result.stdout,
      /^error {5}Step "boom" failed: Command exited with code 3: first warning \| disk is full$/m,
    );
    assert.match(result.stdout, /^ {2}✓ side {3}succeeded {2}attempts 1 +\d+(ms|\.\ds) /m);
    assert.match(
      result.stdout,
      /^ {2}✗ boom {3}failed {5}attempts 2 +\d+(ms|\.\ds) {2}Command exited with code 3: first warning \| disk is full$/m,
    );
    assert.match(result.stdout, /^ {2}· after {2}pending {4}attempts 0 +-$/m);

    const asJson = json<RunJson & { history: unknown[] }>(await cairn(cwd, "show", failedId, "--json"));
    assert.deepEqual(
      asJson.steps.map((s) => [s.id, s.status, s.attempts]),
      [
        ["side", "succeeded", 1],
        ["boom", "failed", 2],
        ["after", "pending", 0],
      ],
    );
    assert.equal(asJson.history.length, 1);
  });

  test("logs prints each step's stdout and stderr (stderr marked '! '); --step picks one step", async () => {
    const all = await cairn(cwd, "logs", okId);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trimEnd().split("\n");
    assert.ok(lines.includes("[greet#1] hello from greet"), all.stdout);
    assert.ok(lines.includes("[greet#1] ! a warning from greet"), all.stdout);
    assert.ok(lines.includes("[shout#1] shouting"), all.stdout);

    const one = await cairn(cwd, "logs", failedId, "--step", "boom");
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(one.stdout.trimEnd().split("\n"), [
      "trying",
      "! first warning",
      "! disk is full",
      "! attempt 1 failed: Command exited with code 3: first warning | disk is full",
      "trying",
      "! first warning",
      "! disk is full",
      "! attempt 2 failed: Command exited with code 3: first warning | disk is full",
    ]);
    const asJson = json<Array<{ stepId: string; stream: string; line: string; attempt: number }>>(
      await cairn(cwd, "logs", okId, "--step", "greet", "--json"),
    );
    assert.deepEqual(asJson.map((l) => [l.stream, l.line]).sort(), [
      ["stderr", "a warning from greet"],
      ["stdout", "hello from greet"],
    ]);
  });

  test("logs --step with a step the run does not have is an error", async () => {
    const result = await cairn(cwd, "logs", okId, "--step", "nope");
    assert.equal(result.code, 2);
    assertOneSentence(result, /Run "run_\S+" has no step "nope" \(its steps: greet, shout\)\.$/);
  });

  test("an unknown run id is one sentence on stderr; --verbose adds the stack", async () => {
    for (const command of ["show", "logs"]) {
      const result = await cairn(cwd, command, "run_does_not_exist");
      assert.equal(result.code, 2);
      assertOneSentence(result, /^cairn: Run "run_does_not_exist" does not exist\.$/);
    }
    const verbose = await cairn(cwd, "show", "run_does_not_exist", "--verbose");
    assert.equal(verbose.code, 2);
    assert.match(verbose.stderr, /^cairn: Run "run_does_not_exist" does not exist\.\n/);
    assert.match(verbose.stderr, /\n\s+at /, "a stack trace under --verbose");
  });
});

describe("a TypeScript workflow file", () => {
  test("is loaded directly, with no build step, and its typed steps run", async () => {
    const cwd = tempDir();
    const result = await cairn(
      cwd,
      "run",
      fixture("report.ts"),
      "--input",
      '{"topic":"tides","pages":3}',
      "--json",
    );
    assert.equal(result.code, 0, result.stderr);
    const run = json<RunJson>(result);
    assert.equal(run.workflowId, "report");
    assert.equal(run.output, "tides: 15 rows");
    const logs = await cairn(cwd, "logs", run.id, "--step", "fetch");
    assert.equal(logs.stdout, "fetching tides\n");
    assert.match(
      result.stderr,
      /console output from fetch \(tides\)/,
      "console.log from a step goes to stderr",
    );
  });

  test("a .ts file with a compile error is one sentence naming the file and line", async () => {
    const cwd = tempDir();
    fs.writeFileSync(
      path.join(cwd, "broken.ts"),
      'import { workflow } from "cairn-runs";\nexport default workflow("x").step("a", (: number) => 1);\n',
    );
    const result = await cairn(cwd, "run", "broken.ts");
    assert.equal(result.code, 2);
    assertOneSentence(result, /^cairn: Cannot load broken\.ts: .*broken\.ts:2:\d+: ERROR: /);
  });
});

test("usage errors are one sentence on stderr and a typo creates no store", async () => {
  const dir = tempDir();
  const missing = await cli(["run", "typo.yaml"], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, "cairn: Workflow file typo.yaml does not exist.\n");
  assert.ok(!fs.existsSync(path.join(dir, ".cairn")), "no .cairn directory was created");
  const bogus = await cli(["ls", "--bogus"], { cwd: dir });
  assert.equal(bogus.code, 2);
  assert.equal(bogus.stderr, "cairn: unknown option '--bogus' (see --help)\n");
});

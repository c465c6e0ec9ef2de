// What the CLI shows a person: the run's output, step output lines as they come, `logs --follow`, a
// resume that prints only what it does, `ls` with a header and durations, `show` with outputs,
// `validate` with the graph, and error sentences that name the flag to use.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli } from "./helpers/cli.js";
import { tempDir, until } from "./helpers/temp.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixture = (name: string) => path.join(FIXTURES, "cli", name);

function yaml(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

test("a foreground run ends with the run's output; --follow-logs prints step lines as they come", async () => {
  const cwd = tempDir();
  const plain = await cli(["run", fixture("ok.yaml")], { cwd });
  assert.equal(plain.code, 0, plain.stderr);
  const lines = plain.stdout.trimEnd().split("\n");
  assert.match(lines.at(-2)!, /^✓ run_\S+ {2}ok {2}succeeded /);
  assert.equal(lines.at(-1), '  output: "HELLO"');
  assert.doesNotMatch(plain.stdout, /hello from greet/, "a pipe shows no step output by default");

  const logs = await cli(["run", fixture("ok.yaml"), "--follow-logs"], { cwd });
  assert.equal(logs.code, 0, logs.stderr);
  const shown = logs.stdout.split("\n");
  const at = (pattern: RegExp) => shown.findIndex((l) => pattern.test(l));
  assert.ok(at(/^▶ greet {2}started$/) >= 0, logs.stdout);
  assert.ok(at(/^ {2}greet │ hello from greet$/) > at(/^▶ greet {2}started$/), logs.stdout);
  assert.ok(at(/^ {2}greet │ a warning from greet$/) >= 0, logs.stdout);
  assert.ok(at(/^✓ greet {2}\d/) < at(/^▶ shout {2}started$/), logs.stdout);
  assert.ok(at(/^ {2}shout │ shouting$/) > at(/^▶ shout {2}started$/), logs.stdout);
});

test("cairn logs --follow prints lines while the step runs and stops when the run ends", async (t) => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const gate = path.join(dir, "gate");
  const file = yaml(
    dir,
    "slow.yaml",
    `id: slow\nsteps:\n  - id: wait\n    run: |\n      echo "waiting for the gate"\n      while [ -d "${dir}" ] && [ ! -f "${gate}" ]; do sleep 0.05; done\n      echo "through the gate"\n`,
  );
  const run = spawnNode(BIN, ["--db", db, "run", file, "--id", "slow-1"], { NO_COLOR: "1" });
  t.after(() => run.child.kill("SIGKILL"));
  await until(() => fs.existsSync(db), "the run to start");
  const follow = spawnNode(BIN, ["--db", db, "logs", "slow-1", "--follow"], { NO_COLOR: "1" });
  t.after(() => follow.child.kill("SIGKILL"));
  await follow.line(/^\[wait#1\] waiting for the gate$/, 20_000);
  assert.equal(follow.child.exitCode, null, "still following while the step runs");
  fs.writeFileSync(gate, "");
  await follow.line(/^\[wait#1\] through the gate$/, 20_000);
  assert.deepEqual(await follow.exited, { code: 0, signal: null });
  assert.equal((await run.exited).code, 0);
});

test("cairn resume prints only what this attempt does; a step marked done says so", async () => {
  const cwd = tempDir();
  const env = { FIXED: path.join(cwd, "fixed") };
  const first = await cli(["run", path.join(FIXTURES, "fails-until-fixed.yaml"), "--id", "r1"], { cwd, env });
  assert.equal(first.code, 1);
  assert.match(first.stdout, /^✓ prepare /m);
  fs.writeFileSync(env.FIXED, "");
  const resumed = await cli(["resume", "r1"], { cwd, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /^ {2}keep +prepare/m, "the plan says prepare is kept");
  assert.doesNotMatch(resumed.stdout, /^✓ prepare/m, "attempt 1's line is not printed again");
  assert.doesNotMatch(resumed.stdout, /^✗ flaky/m, "nor attempt 1's failure");
  assert.match(resumed.stdout, /^✓ flaky {2}\d/m);
  assert.match(resumed.stdout, /^✓ finish {2}\d/m);

  fs.rmSync(env.FIXED);
  assert.equal(
    (await cli(["run", path.join(FIXTURES, "fails-until-fixed.yaml"), "--id", "r2"], { cwd, env })).code,
    1,
  );
  const marked = await cli(["resume", "r2", "--mark-done", "flaky"], { cwd, env });
  assert.equal(marked.code, 0, marked.stderr);
  assert.match(marked.stdout, /^✓ flaky {2}marked done$/m);
  assert.match(marked.stdout, /^✓ finish {2}\d/m);
});

test("ls has a header, the start time and the duration; an interrupted run shows no 0ms", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const started = path.join(dir, "started");
  const stop = path.join(dir, "stop");
  // The killed CLI's shell step lives on in its own process group; it ends with its directory.
  const file = yaml(
    dir,
    "hang.yaml",
    `id: hang\nsteps:\n  - id: wait\n    run: |\n      touch "${started}"\n      while [ -d "${dir}" ] && [ ! -f "${stop}" ]; do sleep 0.05; done\n`,
  );
  assert.equal((await cli(["--db", db, "run", fixture("ok.yaml"), "--id", "done-1"], { cwd: dir })).code, 0);
  const hung = spawnNode(BIN, ["--db", db, "run", file, "--id", "cut-1"], { NO_COLOR: "1" });
  await until(() => fs.existsSync(started), "the step to start");
  hung.child.kill("SIGKILL");
  await hung.exited;

  const ls = await cli(["--db", db, "ls"], { cwd: dir });
  assert.equal(ls.code, 0, ls.stderr);
  const [header, ...rows] = ls.stdout.trimEnd().split("\n");
  assert.match(header!, /^STATUS +RUN +WORKFLOW +STARTED \(UTC\) +DURATION +ATTEMPT +ORIGIN$/);
  assert.match(rows[0]!, /^! interrupted +cut-1 +hang +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +- +1$/);
  fs.writeFileSync(stop, "");
  assert.match(rows[1]!, /^✓ succeeded +done-1 +ok +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+(ms|\.\ds) +1$/);
});

test("show prints each succeeded step's output", async () => {
  const cwd = tempDir();
  assert.equal((await cli(["run", fixture("ok.yaml"), "--id", "s1"], { cwd })).code, 0);
  const show = await cli(["show", "s1"], { cwd });
  assert.match(show.stdout, /^ {4}\s*output \{"greeting":"hello"\}$/m);
  assert.match(show.stdout, /^ {4}\s*output "HELLO"$/m);
});

test("validate prints the steps as a graph; an invalid file exits 2 with one sentence", async () => {
  const cwd = tempDir();
  const file = yaml(
    cwd,
    "diamond.yaml",
    "id: diamond\nsteps:\n  - id: extract\n    run: 'true'\n  - id: left\n    needs: [extract]\n    run: 'true'\n  - id: right\n    needs: [extract]\n    run: 'true'\n  - id: load\n    needs: [left, right]\n    run: 'true'\n",
  );
  const ok = await cli(["validate", file], { cwd });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(
    ok.stdout,
    "diamond: 4 steps\n   1  extract\n   2  left     ← extract\n   2  right    ← extract\n   3  load     ← left, right\n",
  );
  const bad = await cli(["validate", fixture("cycle.yaml")], { cwd });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^cairn: .*cycle: a -> b -> a\.\n$/);
  assert.equal(fs.existsSync(path.join(cwd, ".cairn")), false, "validate opens no store");
});

test("errors name what to type: --from lists the steps, --id with another input, --on-change, --secret", async () => {
  const cwd = tempDir();
  const env = { FIXED: path.join(cwd, "fixed") };
  const flow = yaml(cwd, "flow.yaml", fs.readFileSync(path.join(FIXTURES, "fails-until-fixed.yaml"), "utf8"));
  assert.equal((await cli(["run", flow, "--id", "e1", "--input", '{"day":1}'], { cwd, env })).code, 1);

  const from = await cli(["rerun", "e1", "--from", "flakey"], { cwd, env });
  assert.equal(from.code, 2);
  assert.match(
    from.stderr,
    /Unknown step "flakey" in workflow "fails-until-fixed" \(its steps: prepare, flaky, finish\)\./,
  );

  const other = await cli(["run", flow, "--id", "e1", "--input", '{"day":2}'], { cwd, env });
  assert.equal(other.code, 3);
  assert.equal(
    other.stderr,
    'cairn: Run "e1" already exists with a different input ({"day":1}); choose another --id for a new run, or see that one with cairn show e1.\n',
  );
  assert.equal(other.stdout, "");

  fs.writeFileSync(flow, fs.readFileSync(flow, "utf8").replace("echo prepared", "echo prepared again"));
  const changed = await cli(["resume", "e1"], { cwd, env });
  assert.equal(changed.code, 3);
  assert.match(
    changed.stderr,
    /Pass --on-change rerun to execute them and their downstream again, or --on-change keep to keep their outputs\./,
  );

  const secret = yaml(
    cwd,
    "secret.yaml",
    "id: secret\nsecrets: [API_TOKEN]\nsteps:\n  - id: a\n    run: 'true'\n",
  );
  const missing = await cli(["run", secret], { cwd });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /pass --secret API_TOKEN=… \(/);
});

test("on a terminal: a status line with the running step's elapsed time, and its output as it comes", async () => {
  const cwd = tempDir();
  // The step runs long enough for the status line to be redrawn and a heartbeat to store the first line.
  const file = yaml(
    cwd,
    "tty.yaml",
    'id: tty\nsteps:\n  - id: slow\n    run: |\n      echo "line one"\n      sleep 1.5\n      echo "line two"\n',
  );
  // util-linux `script` gives the CLI a pseudo-terminal, as a person's shell would.
  const result = await new Promise<string>((resolve, reject) => {
    const child = spawn("script", ["-qec", `${process.execPath} ${BIN} run ${file}`, "/dev/null"], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
  });
  assert.match(
    result.split("\r\u001b[2K").slice(1).join("\n"),
    /^▶ slow \d+ms/m,
    "the status line, redrawn in place, shows the step running with its elapsed time",
  );
  const lineOne = result.indexOf("  slow │ line one");
  assert.ok(lineOne >= 0, result);
  assert.match(result.slice(lineOne), /▶ slow \d/, "the first line is shown while the step still runs");
  assert.ok(result.indexOf("  slow │ line two") > lineOne);
  assert.match(result, /✓ slow {2}\d/);
});

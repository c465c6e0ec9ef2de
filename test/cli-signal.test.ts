import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cli } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const APPROVE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/cli/approve.ts");

test("cairn run returns at a signal wait (exit 6, printing how to send it); cairn signal refuses bad data, then continues the run", async () => {
  const dir = tempDir();
  const db = ["--db", path.join(dir, "cairn.db")];
  const run = await cli(["run", APPROVE, "--id", "r-cli", ...db], { cwd: dir });
  assert.equal(run.code, 6, run.stderr);
  assert.match(
    run.stdout,
    /step "ask" waits for signal "approve"; send it with:\n {4}cairn signal r-cli approve --data '<json>'/,
  );

  const bad = await cli(["signal", "r-cli", "approve", "--data", '{"ok":1}', ...db], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^cairn: Signal "approve" does not fit the schema of step "ask": ok: .*boolean.*\n$/,
  );

  const good = await cli(["signal", "r-cli", "approve", "--data", '{"ok":true}', "--key", "k1", ...db], {
    cwd: dir,
  });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /r-cli {2}approve {2}succeeded/);

  const again = await cli(["signal", "r-cli", "approve", "--data", '{"ok":true}', "--key", "k1", ...db], {
    cwd: dir,
  });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /was already sent to r-cli; nothing changed/);

  const shown = await cli(["show", "r-cli", "--json", ...db], { cwd: dir });
  const view = JSON.parse(shown.stdout) as {
    status: string;
    output: unknown;
    steps: Array<{ id: string; attempts: number }>;
  };
  assert.equal(view.status, "succeeded");
  assert.deepEqual(view.output, { deployed: { ok: true } });
  assert.deepEqual(
    view.steps.map((s) => [s.id, s.attempts]),
    [
      ["ask", 1],
      ["deploy", 1],
    ],
  );
});

test("YAML wait: the example approval waits, takes the signal's data as its output, and the next step reads it", async () => {
  const dir = tempDir();
  const db = ["--db", path.join(dir, "cairn.db")];
  const example = path.join(path.dirname(APPROVE), "../../../examples/approval.yaml");
  const run = await cli(["run", example, "--id", "deploy-1", ...db], { cwd: dir });
  assert.equal(run.code, 6, run.stderr);
  assert.match(run.stdout, /step "approve" waits for signal "approve" \(timeout \d{4}-.*\); send it with:/);
  const sent = await cli(["signal", "deploy-1", "approve", "--data", '{"approved":true,"by":"ada"}', ...db], {
    cwd: dir,
  });
  assert.equal(sent.code, 0, sent.stderr);
  const logs = await cli(["logs", "deploy-1", "--step", "deploy", ...db], { cwd: dir });
  assert.match(logs.stdout, /deploying, approved by ada/);
});

test("YAML wait: problems are reported at the step's wait key", async () => {
  const dir = tempDir();
  const file = path.join(dir, "bad.yaml");
  const fs = await import("node:fs");
  fs.writeFileSync(
    file,
    ["id: bad", "steps:", "  - id: a", "    wait: { signal: 'no spaces', colour: red, default: 1 }"].join(
      "\n",
    ),
  );
  const result = await cli(["run", file, "--db", path.join(dir, "cairn.db")], { cwd: dir });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /bad\.yaml:4:11: step "a": wait: unknown key "colour"/);
  assert.match(result.stderr, /step "a": wait\.signal must be a signal name/);
  assert.match(result.stderr, /step "a": wait\.default needs a wait\.timeout/);
});

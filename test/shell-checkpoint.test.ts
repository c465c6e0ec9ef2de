// A shell step's $CAIRN_CHECKPOINT survives a SIGKILL of the process running it; the resume reads it.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli } from "./helpers/cli.js";
import { readLines, tempDir, until } from "./helpers/temp.js";

const WORKFLOW = `id: checkpointed
steps:
  - id: loop
    run: |
      echo "last=[$CAIRN_LAST_CHECKPOINT]" >> "$LEDGER"
      if [ -n "$CAIRN_LAST_CHECKPOINT" ]; then echo '"resumed"' > "$CAIRN_OUTPUT"; exit 0; fi
      echo $$ > "$PIDFILE"
      echo '{"done": 1}' > "$CAIRN_CHECKPOINT"
      echo '{"done": 2}' > "$CAIRN_CHECKPOINT.tmp" && mv "$CAIRN_CHECKPOINT.tmp" "$CAIRN_CHECKPOINT"
      sleep 60
`;

test("$CAIRN_CHECKPOINT is recorded while the command runs, survives SIGKILL, and is $CAIRN_LAST_CHECKPOINT on resume", async () => {
  const dir = tempDir();
  const file = path.join(dir, "checkpointed.yaml");
  fs.writeFileSync(file, WORKFLOW);
  const db = path.join(dir, "cairn.db");
  const env = { LEDGER: path.join(dir, "ledger"), PIDFILE: path.join(dir, "pid") };
  const run = spawnNode(BIN, ["--db", db, "run", file, "--id", "cp"], { ...env, NO_COLOR: "1" });
  const stored = () => {
    if (!fs.existsSync(db)) return undefined;
    const raw = new Database(db, { readonly: true, timeout: 5000 });
    try {
      const row = raw.prepare("SELECT checkpoint FROM steps WHERE step_id = 'loop'").get() as
        | { checkpoint: string | null }
        | undefined;
      return row?.checkpoint ?? undefined;
    } catch {
      return undefined; // the store is still being created
    } finally {
      raw.close();
    }
  };
  try {
    assert.equal(
      await until(() => (stored() === '{"done":2}' ? stored() : undefined), "the checkpoint row"),
      '{"done":2}',
    );
  } finally {
    run.child.kill("SIGKILL");
    await run.exited;
    // The shell is in its own process group; it would otherwise sleep on.
    try {
      process.kill(-Number(fs.readFileSync(env.PIDFILE, "utf8")), "SIGKILL");
    } catch {
      // already gone
    }
  }
  const resumed = await cli(["--db", db, "--json", "resume", "cp"], { cwd: dir, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).output, "resumed");
  assert.deepEqual(readLines(env.LEDGER), ["last=[]", 'last=[{"done":2}]']);
});

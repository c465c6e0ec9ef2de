// `cairn gc` through the real binary: dry run, refusals, and a SIGKILL in the middle of a gc.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, workflow } from "../src/index.js";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli, ROOT } from "./helpers/cli.js";
import { tempDir, until } from "./helpers/temp.js";

const DAY = 86_400_000;
const RUNS = 120;

/** `runs` succeeded runs, each with a file in its directory, finished `ageDays` ago. */
async function storeWithOldRuns(runs: number, ageDays: number): Promise<{ db: string; dir: string }> {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const cairn = await Cairn.open({ db, durability: "normal" });
  const wf = workflow("batch").step("write", async ({ run }) => {
    fs.writeFileSync(path.join(run.workdir, "out.txt"), "x".repeat(100));
    return 1;
  });
  for (let i = 0; i < runs; i += 20)
    await Promise.all(
      Array.from({ length: Math.min(20, runs - i) }, async () => (await cairn.start(wf)).result()),
    );
  await cairn.close();
  const raw = new Database(db);
  raw
    .prepare("UPDATE runs SET finished_at = finished_at - ?, updated_at = updated_at - ?")
    .run(ageDays * DAY, ageDays * DAY);
  raw.close();
  return { db, dir };
}

/** Rows that belong to no run: there must never be any. */
function orphans(db: string): Record<string, number> {
  const raw = new Database(db, { readonly: true });
  const count = (sql: string) => (raw.prepare(sql).get() as { n: number }).n;
  const result = {
    steps: count("SELECT count(*) AS n FROM steps WHERE run_key NOT IN (SELECT key FROM runs)"),
    events: count("SELECT count(*) AS n FROM events WHERE run_key NOT IN (SELECT key FROM runs)"),
    logs: count("SELECT count(*) AS n FROM logs WHERE run_id NOT IN (SELECT id FROM runs)"),
    memos: count("SELECT count(*) AS n FROM memos WHERE run_id NOT IN (SELECT id FROM runs)"),
    attempts: count("SELECT count(*) AS n FROM run_attempts WHERE run_id NOT IN (SELECT id FROM runs)"),
  };
  raw.close();
  return result;
}

test("gc --dry-run lists what would go and the space; bad or missing rules are one sentence", async () => {
  const { db } = await storeWithOldRuns(3, 10);
  const dry = await cli(["--db", db, "gc", "--older-than", "7d", "--dry-run"], { cwd: path.dirname(db) });
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout.match(/^would delete run_\S+ {2}batch {2}succeeded /gm)?.length, 3);
  assert.match(dry.stdout, /3 runs would be deleted, freeing 300 B of run directories\.\n$/);
  const json = await cli(["--db", db, "--json", "gc", "--older-than", "7d", "--dry-run"], {
    cwd: path.dirname(db),
  });
  assert.equal(JSON.parse(json.stdout).runs.length, 3);
  const younger = await cli(["--db", db, "gc", "--older-than", "30d", "--dry-run"], {
    cwd: path.dirname(db),
  });
  assert.match(younger.stdout, /^0 runs would be deleted/);

  for (const [args, message] of [
    [[], /Say which runs to delete/],
    [["--status", "running"], /--status takes finished statuses/],
    [["--older-than", "soon"], /--older-than must be an age like "30d"/],
    [["--keep-last", "-1"], /--keep-last must be a whole number/],
  ] as const) {
    const res = await cli(["--db", db, "gc", ...args], { cwd: path.dirname(db) });
    assert.equal(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
    assert.match(res.stderr, message);
    assert.equal(res.stderr.split("\n").length, 2, "one sentence");
  }
  const cairn = await Cairn.open({ db, execute: false });
  assert.equal((await cairn.list({})).length, 3, "nothing was deleted");
  await cairn.close();
});

test("SIGKILL in the middle of gc leaves a consistent store; a second gc finishes the job", async () => {
  const { db, dir } = await storeWithOldRuns(RUNS, 10);
  const runsDir = path.join(dir, "runs");
  assert.equal(fs.readdirSync(runsDir).length, RUNS);

  const gc = spawnNode(BIN, ["--db", db, "gc", "--older-than", "1d"], { NO_COLOR: "1" });
  await gc.line(/^deleted run_/);
  gc.child.kill("SIGKILL");
  assert.equal((await gc.exited).signal, "SIGKILL");

  const cairn = await Cairn.open({ db, execute: false });
  try {
    assert.equal(await storeOf(cairn).checkIntegrity(), "ok");
    const left = await cairn.list({ limit: 10_000 });
    assert.ok(left.length > 0 && left.length < RUNS, `killed in the middle (${left.length} runs left)`);
    assert.deepEqual(orphans(db), { steps: 0, events: 0, logs: 0, memos: 0, attempts: 0 });
    for (const run of left) {
      assert.equal((await storeOf(cairn).getSteps(run.id)).length, 1, "a surviving run is whole");
      assert.ok(fs.existsSync(path.join(runsDir, run.id, "out.txt")), "with its directory");
    }
    // Every directory still on disk belongs to a surviving run or to a tombstone still pending.
    const pending = new Set(
      (await storeOf(cairn).read((tx) => tx.pendingWorkdirRemovals(1000))).map((d) => d.id),
    );
    const alive = new Set(left.map((r) => r.id));
    for (const name of fs.readdirSync(runsDir)) assert.ok(alive.has(name) || pending.has(name), name);
  } finally {
    await cairn.close();
  }

  const second = await cli(["--db", db, "gc", "--older-than", "1d"], { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /Deleted \d+ runs?, freed/);
  const after = await Cairn.open({ db, execute: false });
  try {
    assert.deepEqual(await after.list({}), []);
    assert.deepEqual(await storeOf(after).read((tx) => tx.pendingWorkdirRemovals(10)), []);
  } finally {
    await after.close();
  }
  assert.deepEqual(fs.readdirSync(runsDir), [], "every run directory is gone");
  assert.deepEqual(orphans(db), { steps: 0, events: 0, logs: 0, memos: 0, attempts: 0 });
});

test("cairn worker --gc-older-than applies the rules as it starts and then periodically", async () => {
  const { db } = await storeWithOldRuns(4, 10);
  const raw = new Database(db);
  // One recent run: younger than the rule, it stays.
  raw
    .prepare("UPDATE runs SET finished_at = ?, updated_at = ? WHERE id = (SELECT max(id) FROM runs)")
    .run(Date.now(), Date.now());
  raw.close();
  const worker = spawnNode(BIN, [
    "--db",
    db,
    "worker",
    "--workflows",
    path.join(ROOT, "test/fixtures/cli/ok.yaml"),
    "--gc-older-than",
    "7d",
    "--gc-every",
    "1h",
  ]);
  try {
    await worker.line(/^cairn worker \S+ ready/);
    const cairn = await Cairn.open({ db, execute: false });
    try {
      const left = await until(async () => {
        const runs = await cairn.list({});
        return runs.length === 1 ? runs : undefined;
      }, "the worker's retention pass");
      assert.ok(Date.now() - (left[0]!.finishedAt ?? 0) < DAY, "the recent run stays");
    } finally {
      await cairn.close();
    }
  } finally {
    worker.child.kill("SIGTERM");
    const exit = await worker.exited;
    assert.equal(exit.code, 0, JSON.stringify(exit));
  }
  const bad = await cli(["--db", db, "worker", "--workflows", "x.yaml", "--gc-keep-last", "many"], {
    cwd: path.dirname(db),
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--gc-keep-last must be a whole number/);
});

// Three `cairn worker` processes share 300 runs × 10 steps through one PostgreSQL schema.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Cairn, loadOneWorkflow } from "../../src/index.js";
import { pgTestDb } from "../helpers/pg.js";
import { readLines, tempDir, until } from "../helpers/temp.js";
import { startWorkers } from "../helpers/workers.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const RUNS = 300;

test("three workers, 300 runs × 10 steps: every step executes exactly once and every run succeeds", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const dir = tempDir();
  process.chdir(dir); // run directories of the runs started here go under this temp dir
  const ledger = path.join(dir, "ledger.txt");
  // A long lease: this test is about claiming, not takeovers, and must hold on a loaded machine.
  const workers = await startWorkers(t, 3, {
    db: db.url,
    workflows: [path.join(FIXTURES, "mesh.mjs")],
    env: { CAIRN_TEST_LEDGER: ledger },
    concurrency: 8,
    leaseMs: 20_000,
  });

  const store = await db.open();
  const mesh = await loadOneWorkflow(path.join(FIXTURES, "mesh.mjs"));
  const client = await Cairn.open({ db: store, execute: false });
  t.after(() => client.close());
  const ids: string[] = [];
  for (let i = 0; i < RUNS; i += 20)
    ids.push(
      ...(await Promise.all(
        Array.from(
          { length: Math.min(20, RUNS - i) },
          async () => (await client.start(mesh, {}, { detach: true })).id,
        ),
      )),
    );

  await until(
    async () => (await store.countRunsByStatus()).find((c) => c.status === "succeeded")?.count === RUNS,
    `${RUNS} runs to succeed`,
    150_000,
    250,
  );

  const statuses = await store.countRunsByStatus();
  assert.deepEqual(statuses, [{ status: "succeeded", count: RUNS }]);
  const lines = readLines(ledger).map((l) => l.split(" "));
  assert.equal(lines.length, RUNS * 10, "3000 executions in all");
  const perStep = new Map<string, number>();
  for (const [run, step] of lines) perStep.set(`${run}/${step}`, (perStep.get(`${run}/${step}`) ?? 0) + 1);
  assert.equal(perStep.size, RUNS * 10, "every step of every run executed");
  assert.deepEqual([...new Set(perStep.values())], [1], "no step executed twice");
  assert.deepEqual(new Set(lines.map(([run]) => run)), new Set(ids));
  const byPid = new Map<string, number>();
  for (const [, , pid] of lines) byPid.set(pid!, (byPid.get(pid!) ?? 0) + 1);
  for (const w of workers)
    assert.ok((byPid.get(String(w.pid)) ?? 0) > 0, `worker ${w.pid} executed steps (${[...byPid]})`);

  const events = await store.readEvents({ limit: 1_000_000 });
  assert.equal(
    events.filter((e) => e.type === "step.succeeded").length,
    RUNS * 10,
    "each step recorded once",
  );
  assert.equal(events.filter((e) => e.type === "step.completion-rejected").length, 0);
  assert.equal(events.filter((e) => e.type === "step.recovered").length, 0);
  const outputs = await store.getSteps(ids[0]!);
  assert.deepEqual(
    outputs.map((s) => s.output),
    ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"],
  );

  for (const w of workers) {
    const exit = await w.stop();
    assert.equal(exit.code, 0, `worker ${w.pid} stops cleanly on SIGTERM\n${w.stdout()}`);
  }
});

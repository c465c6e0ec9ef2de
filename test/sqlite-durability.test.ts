// Durability "full" on SQLite: every commit that wrote is fdatasynced, off the main thread, and
// nothing is acknowledged (a transaction's promise, a run's result) or started that must not run
// twice (a non-idempotent step) before the commits it depends on are on disk.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { storeOf } from "../src/engine/client-state.js";
import { blankStep } from "../src/engine/resume.js";
import { Cairn, type CairnError, CairnError as CairnErrorClass, workflow } from "../src/index.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { WalSync } from "../src/store/sqlite/wal-sync.js";
import { openTemp } from "./helpers/engine.js";
import { runRecord } from "./helpers/records.js";
import { tempDir, until } from "./helpers/temp.js";

test("a transaction resolves once its commit is on disk, unless the caller syncs later itself", async (t) => {
  const store = SqliteStore.open(path.join(tempDir(), "cairn.db"));
  t.after(() => store.close());
  const insertRun = (id: string) => store.transaction((tx) => tx.insertRun(runRecord(id)));
  await insertRun("r1");
  const afterFirst = store.stats;
  assert.equal(afterFirst.unsynced, 0);
  assert.ok((afterFirst.syncs ?? 0) >= 1, "the commit was fdatasynced");

  await store.transaction((tx) => tx.insertSteps([blankStep("r1", "a", [])]), { sync: "later" });
  assert.equal(store.stats.unsynced, 1, "committed, not yet synced");
  await store.flushed();
  assert.equal(store.stats.unsynced, 0);

  // "later" does not mean "when someone asks": the sync starts with the commit.
  await store.transaction((tx) => tx.insertSteps([blankStep("r1", "b", [])]), { sync: "later" });
  assert.equal(store.stats.unsynced, 1);
  await until(() => store.stats.unsynced === 0, "the background sync of a later commit");

  // A transaction that wrote nothing (a claim that found no work) costs no sync.
  const syncs = store.stats.syncs;
  await store.transaction((tx) => tx.getSteps("r1"));
  assert.deepEqual([store.stats.syncs, store.stats.unsynced], [syncs, 0]);
});

test("a run's steps start while the previous commit syncs; its result and non-idempotent steps wait for the disk", async () => {
  const { cairn } = await openTemp({ recover: false });
  const seen: Record<string, number> = {};
  const note = (id: string) => {
    seen[id] = storeOf(cairn).stats.unsynced ?? -1;
  };
  const wf = workflow("pipelined")
    .step("first", async () => note("first"))
    .step("second", async () => note("second"))
    .step("charge", { effects: "non-idempotent" }, async () => note("charge"))
    .step("last", async () => note("last"));
  const run = await (await cairn.start(wf, {})).result();
  assert.equal(run.status, "succeeded");
  assert.equal(storeOf(cairn).stats.unsynced, 0, "the result came once every commit was on disk");
  // "second" was claimed in the commit that recorded "first" and started before that commit synced.
  assert.ok(seen.second! > 0, `second started with ${seen.second} unsynced commits`);
  assert.equal(seen.charge, 0, "the non-idempotent step started only once its claim was on disk");
});

test('durability "normal" issues no syncs of its own', async () => {
  const { cairn } = await openTemp({ recover: false, durability: "normal" });
  const run = await (
    await cairn.start(
      workflow("quick").step("only", async () => 1),
      {},
    )
  ).result();
  assert.equal(run.status, "succeeded");
  assert.equal(storeOf(cairn).stats.syncs, undefined);
});

test("a commit made while an fdatasync runs waits for the next one, which covers every such commit", async () => {
  const file = path.join(tempDir(), "log");
  fs.writeFileSync(file, "x");
  const wal = new WalSync(file);
  wal.committed();
  const first = wal.sync();
  wal.committed(); // after the first fdatasync started
  const second = wal.sync();
  const third = wal.sync();
  await first;
  assert.equal(wal.stats.unsynced, 1, "the first fdatasync does not cover the commit made after it started");
  await Promise.all([second, third]);
  assert.deepEqual(wal.stats, { syncs: 2, unsynced: 0 });
  await wal.close();
});

test("after a failed fdatasync the commit is reported as made but unsynced, and writes are refused", async () => {
  // fdatasync on a FIFO fails (EINVAL): a real failure of the call, without a fake file system.
  const fifo = path.join(tempDir(), "fifo");
  execFileSync("mkfifo", [fifo]);
  const wal = new WalSync(fifo);
  wal.committed();
  await assert.rejects(wal.sync(), (error: CairnError) => {
    assert.equal(error.code, "STORE");
    assert.deepEqual(error.details, { fatal: true, committed: true });
    assert.match(error.message, /could not write its log to disk/);
    return true;
  });
  assert.throws(() => wal.assertHealthy(), /refuses writes/);
  await assert.rejects(wal.sync(), /could not write its log to disk/);
  // Closing says so too: the last commits may not be on disk.
  await assert.rejects(wal.close(), /could not write its log to disk/);
});

test("a database reached through a symlink has its real WAL synced", async (t) => {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, "real"));
  const link = path.join(dir, "cairn.db");
  fs.symlinkSync(path.join(dir, "real", "cairn.db"), link);
  const store = SqliteStore.open(link);
  t.after(() => store.close());
  await store.transaction((tx) => tx.insertSteps([]));
  assert.equal(fs.existsSync(`${link}-wal`), false, "no WAL beside the link");
  assert.ok(fs.existsSync(path.join(dir, "real", "cairn.db-wal")));
});

test("when the store fails for good, a run's waiters get the error and close does not hang", {
  timeout: 30_000,
}, async () => {
  // A real store whose writes start failing the way a failed fdatasync makes them fail: a real
  // fdatasync of SQLite's own WAL cannot be made to fail on demand.
  const real = SqliteStore.open(path.join(tempDir(), "cairn.db"));
  const failure = new CairnErrorClass("STORE", "The store could not write its log to disk (EIO).", {
    details: { fatal: true, committed: true },
  });
  let broken = false;
  const store = new Proxy(real, {
    get(target, prop) {
      if (prop === "transaction")
        return (fn: never, options: never) =>
          broken ? Promise.reject(failure) : target.transaction(fn, options);
      if (prop === "flushed") return () => (broken ? Promise.reject(failure) : target.flushed());
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const cairn = await Cairn.open({ db: store, recover: false });
  const wf = workflow("doomed")
    .step("breaks", async () => {
      broken = true;
      return 1;
    })
    .step("never", async () => 2);
  const handle = await cairn.start(wf, {});
  await assert.rejects(handle.result(), /could not write its log to disk/);
  await cairn.close().catch(() => undefined);
  broken = false;
  await real.close();
});

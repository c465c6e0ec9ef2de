// One suite, run unchanged against every store: SQLite (a temp file) and PostgreSQL (a schema per test).
import assert from "node:assert/strict";
import path from "node:path";
import { describe, type TestContext, test } from "node:test";
import Database from "better-sqlite3";
import { toDefinition } from "../src/core/builder.js";
import type { NewEvent, RunRecord, StepRecord } from "../src/core/types.js";
import { insertRun } from "../src/engine/create-run.js";
import { loadWorkflow } from "../src/engine/registry.js";
import { blankStep } from "../src/engine/resume.js";
import { claimSteps, recordOutcomes } from "../src/engine/transitions.js";
import { Cairn, workflow } from "../src/index.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { Store, StoreTx, TokenRecord, WorkerRecord } from "../src/store/store.js";
import { pgTestDb } from "./helpers/pg.js";
import { runRecord } from "./helpers/records.js";
import { tempDir } from "./helpers/temp.js";

interface Subject {
  store: Store;
  /** Open a second handle on the same database (a restart, or another process). */
  reopen(): Promise<Store>;
  /** Pretend a newer Cairn migrated the database. */
  setSchemaVersion(version: number): Promise<void>;
}

interface Harness {
  name: string;
  /** A fresh, empty store for one test; null when the test was skipped. */
  open(t: TestContext): Promise<Subject | null>;
}

const harnesses: Harness[] = [
  {
    name: "sqlite",
    async open(t) {
      const file = path.join(tempDir(), "cairn.db");
      const handles: Store[] = [SqliteStore.open(file)];
      t.after(() => Promise.all(handles.map((h) => h.close())));
      return {
        store: handles[0]!,
        async reopen() {
          const store = SqliteStore.open(file);
          handles.push(store);
          return store;
        },
        async setSchemaVersion(version) {
          const db = new Database(file);
          db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(version));
          db.close();
        },
      };
    },
  },
  {
    name: "postgres",
    async open(t) {
      const db = await pgTestDb(t);
      if (!db) return null;
      return {
        store: await db.open(),
        reopen: () => db.open(),
        async setSchemaVersion(version) {
          await db.sql("UPDATE meta SET value = $1 WHERE key = 'schema_version'", [String(version)]);
        },
      };
    },
  },
];

/** Steps and events belong to a run: insert the runs they name first. */
async function insertRuns(tx: StoreTx, ...ids: Array<string | [string, Partial<RunRecord>]>): Promise<void> {
  for (const id of ids) await tx.insertRun(typeof id === "string" ? runRecord(id) : runRecord(id[0], id[1]));
}

function stepRecord(runId: string, stepId: string, overrides: Partial<StepRecord> = {}): StepRecord {
  return { ...blankStep(runId, stepId, []), ...overrides };
}

function eventOf(
  runId: string,
  type: NewEvent["type"],
  tenant = "default",
  stepId: string | null = null,
): NewEvent {
  return { runId, tenant, stepId, type, at: 1_700_000_000_000, data: { note: `${type} of ${runId}` } };
}

// Run directories of the engine case go under a temp dir (a PostgreSQL store puts them under ./.cairn).
process.chdir(tempDir());

const refsOf = (refs: Array<{ runId: string; stepId: string }>) =>
  refs.map((r) => `${r.runId}/${r.stepId}`).sort();

for (const harness of harnesses) {
  describe(`store conformance: ${harness.name}`, () => {
    /** Declare a case that runs with a fresh store of this kind. */
    const it = (name: string, body: (s: Subject) => Promise<void>) =>
      test(name, async (t) => {
        const subject = await harness.open(t);
        if (subject) await body(subject);
      });

    it("workflows: upsert replaces, get and list return them by id", async ({ store }) => {
      await store.transaction(async (tx) => {
        await tx.upsertWorkflow({
          id: "b",
          fingerprint: "f1",
          graph: { steps: [] },
          source: null,
          updatedAt: 1,
        });
        await tx.upsertWorkflow({
          id: "a",
          fingerprint: "f1",
          graph: { steps: [{ id: "x" }] },
          source: "/w/a.ts",
          updatedAt: 2,
        });
        await tx.upsertWorkflow({
          id: "b",
          fingerprint: "f2",
          graph: { steps: [{ id: "y" }] },
          source: "/w/b.ts",
          updatedAt: 3,
        });
      });
      assert.deepEqual(await store.getWorkflow("b"), {
        id: "b",
        fingerprint: "f2",
        graph: { steps: [{ id: "y" }] },
        source: "/w/b.ts",
        updatedAt: 3,
      });
      assert.deepEqual(
        (await store.listWorkflows()).map((w) => w.id),
        ["a", "b"],
      );
      assert.equal(await store.getWorkflow("missing"), undefined);
      // Registering the same definition again (every worker does at start) writes nothing: updatedAt
      // stays the time the definition last changed.
      await store.transaction((tx) =>
        tx.upsertWorkflow({
          id: "b",
          fingerprint: "f2",
          graph: { steps: [{ id: "y" }] },
          source: "/w/b.ts",
          updatedAt: 4,
        }),
      );
      assert.equal((await store.getWorkflow("b"))?.updatedAt, 3);
    });

    it("workers: upsert replaces, getWorkers returns the known ones", async ({ store }) => {
      const worker: WorkerRecord = {
        id: "w1",
        host: "h",
        pid: 42,
        pidStart: "123",
        bootId: null,
        startedAt: 1,
        heartbeatAt: 2,
        leaseMs: 30_000,
        stoppedAt: null,
      };
      const found = await store.transaction(async (tx) => {
        await tx.upsertWorker(worker);
        await tx.upsertWorker({ ...worker, heartbeatAt: 5, stoppedAt: 6 });
        return { some: await tx.getWorkers(["w1", "nobody"]), none: await tx.getWorkers([]) };
      });
      assert.deepEqual(found.some, [{ ...worker, heartbeatAt: 5, stoppedAt: 6 }]);
      assert.deepEqual(found.none, []);
    });

    it("runs: every field round-trips (JSON, booleans, nulls, millisecond times)", async ({ store }) => {
      const run = runRecord("r1", {
        output: { ok: true, list: ["a", null] },
        error: { message: "boom", code: "E1" },
        finishedAt: 1_700_000_000_123,
        parentRunId: "r0",
        rootRunId: "r0",
        attempt: 3,
        driverId: "w1",
        reason: "why",
        secretNames: ["TOKEN"],
        failFast: true,
        tenant: "acme",
      });
      await store.transaction((tx) => tx.insertRun(run));
      assert.deepEqual(await store.getRun("r1"), run);
      assert.deepEqual(await store.read((tx) => tx.getRun("r1")), run);
      assert.equal(await store.getRun("missing"), undefined);
    });

    it("updateRun is a compare-and-set on the run's status", async ({ store }) => {
      await store.transaction((tx) => tx.insertRun(runRecord("r1", { status: "failed" })));
      const results = await store.transaction(async (tx) => ({
        wrongStatus: await tx.updateRun("r1", { status: "running", reason: "first" }, [
          "paused",
          "cancelled",
        ]),
        rightStatus: await tx.updateRun("r1", { status: "running", reason: "second", driverId: "w9" }, [
          "failed",
        ]),
        again: await tx.updateRun("r1", { status: "running", reason: "third" }, ["failed"]),
        unguarded: await tx.updateRun("r1", { updatedAt: 99 }),
        missing: await tx.updateRun("nope", { updatedAt: 1 }),
      }));
      assert.deepEqual(results, {
        wrongStatus: false,
        rightStatus: true,
        again: false,
        unguarded: true,
        missing: false,
      });
      const run = await store.getRun("r1");
      assert.equal(run?.status, "running");
      assert.equal(run?.reason, "second");
      assert.equal(run?.driverId, "w9");
      assert.equal(run?.updatedAt, 99);
    });

    it("listRunsByStatus: oldest first, only the statuses asked, limited", async ({ store }) => {
      await store.transaction(async (tx) => {
        await tx.insertRun(runRecord("new", { createdAt: 300 }));
        await tx.insertRun(runRecord("old", { createdAt: 100 }));
        await tx.insertRun(runRecord("paused", { createdAt: 200, status: "paused" }));
        await tx.insertRun(runRecord("done", { createdAt: 50, status: "succeeded" }));
      });
      const ids = await store.read(async (tx) => ({
        running: (await tx.listRunsByStatus(["running"], 10)).map((r) => r.id),
        both: (await tx.listRunsByStatus(["running", "paused"], 10)).map((r) => r.id),
        limited: (await tx.listRunsByStatus(["running", "paused"], 2)).map((r) => r.id),
      }));
      assert.deepEqual(ids, {
        running: ["old", "new"],
        both: ["old", "paused", "new"],
        limited: ["old", "paused"],
      });
    });

    it("listRuns filters by tenant, status and workflow, newest first, and pages with a cursor", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        for (let i = 1; i <= 5; i++)
          await tx.insertRun(
            runRecord(`r${i}`, {
              createdAt: i * 10,
              tenant: i % 2 === 0 ? "acme" : "default",
              status: i === 5 ? "failed" : "succeeded",
              workflowId: i <= 2 ? "first" : "second",
            }),
          );
        await tx.insertRun(
          runRecord("child", { createdAt: 60, parentRunId: "r1", rootRunId: "r1", origin: "rerun" }),
        );
      });
      const ids = (runs: RunRecord[]) => runs.map((r) => r.id);
      assert.deepEqual(ids(await store.listRuns({})), ["child", "r5", "r4", "r3", "r2", "r1"]);
      assert.deepEqual(ids(await store.listRuns({ tenant: "acme" })), ["r4", "r2"]);
      assert.deepEqual(ids(await store.listRuns({ status: "failed" })), ["r5"]);
      assert.deepEqual(ids(await store.listRuns({ workflowId: "first" })), ["r2", "r1"]);
      const page1 = await store.listRuns({ limit: 2 });
      const last = page1[page1.length - 1]!;
      const page2 = await store.listRuns({ limit: 2, before: { createdAt: last.createdAt, id: last.id } });
      assert.deepEqual(
        [ids(page1), ids(page2)],
        [
          ["child", "r5"],
          ["r4", "r3"],
        ],
      );
      assert.deepEqual(ids(await store.listChildRuns("r1")), ["child"]);
      assert.equal((await store.latestRun("first", "succeeded"))?.id, "r2");
      assert.equal((await store.latestRun("first", "succeeded", "default"))?.id, "r1");
      assert.equal(await store.latestRun("first", "failed"), undefined);
      const counts = Object.fromEntries((await store.countRunsByStatus()).map((c) => [c.status, c.count]));
      assert.deepEqual(counts, { failed: 1, running: 1, succeeded: 4 });
    });

    it("steps: insert and read back in definition order; a subset by id; nothing for no ids", async ({
      store,
    }) => {
      const steps = ["zeta", "alpha", "mid"].map((id, i) =>
        stepRecord("r1", id, {
          needs: i === 0 ? [] : ["zeta"],
          output: { n: i },
          vars: i === 1 ? { region: "eu" } : null,
          files: i === 2 ? { "out.txt": "sha" } : null,
          provenance: { kind: "reused", fromRunId: "r0" },
          checkpoint: i === 0 ? { page: 3 } : null,
          leaseExpiresAt: 1_700_000_000_999,
        }),
      );
      await store.transaction(async (tx) => {
        await tx.insertRun(runRecord("r1"));
        await tx.insertSteps(steps);
      });
      assert.deepEqual(await store.getSteps("r1"), steps);
      assert.deepEqual((await store.getSteps("r1", ["mid", "zeta"])).map((s) => s.stepId).sort(), [
        "mid",
        "zeta",
      ]);
      assert.deepEqual(await store.getSteps("r1", []), []);
      assert.deepEqual(await store.getSteps("other"), []);
    });

    it("updateStep applies only from the given statuses", async ({ store }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([stepRecord("r1", "a"), stepRecord("r1", "b", { status: "succeeded" })]);
      });
      const results = await store.transaction(async (tx) => ({
        fromPending: await tx.updateStep({ runId: "r1", stepId: "a" }, { status: "ready", readyAt: 5 }, [
          "pending",
        ]),
        notFromReady: await tx.updateStep({ runId: "r1", stepId: "b" }, { status: "ready", readyAt: 5 }, [
          "pending",
        ]),
        unguarded: await tx.updateStep({ runId: "r1", stepId: "b" }, { output: "kept" }),
        missing: await tx.updateStep({ runId: "r1", stepId: "zz" }, { output: 1 }),
      }));
      assert.deepEqual(results, { fromPending: true, notFromReady: false, unguarded: true, missing: false });
      const [a, b] = await store.getSteps("r1");
      assert.equal(a?.status, "ready");
      assert.equal(a?.readyAt, 5);
      assert.equal(b?.status, "succeeded");
      assert.equal(b?.output, "kept");
    });

    it("claimStep moves a step from the given status to running, once, with a new attempt and epoch", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([
          stepRecord("r1", "retry", {
            status: "ready",
            readyAt: 5,
            attempts: 1,
            leaseEpoch: 1,
            finishedAt: 4,
            checkpoint: { page: 2 },
          }),
          stepRecord("r1", "later", { status: "pending" }),
        ]);
      });
      const lease = { workerId: "w1", now: 100, leaseMs: 30 };
      const claimed = await store.transaction(async (tx) => ({
        retry: await tx.claimStep({ runId: "r1", stepId: "retry" }, "ready", lease),
        again: await tx.claimStep({ runId: "r1", stepId: "retry" }, "ready", { ...lease, workerId: "w2" }),
        notPending: await tx.claimStep({ runId: "r1", stepId: "later" }, "ready", lease),
        later: await tx.claimStep({ runId: "r1", stepId: "later" }, "pending", lease),
        missing: await tx.claimStep({ runId: "r1", stepId: "zz" }, "ready", lease),
      }));
      const expected = {
        status: "running",
        leaseOwner: "w1",
        leaseExpiresAt: 130,
        startedAt: 100,
        finishedAt: null,
        readyAt: null,
      };
      assert.deepEqual(claimed.retry, {
        ...stepRecord("r1", "retry", { attempts: 2, leaseEpoch: 2, checkpoint: { page: 2 } }),
        ...expected,
      });
      assert.deepEqual(claimed.later, {
        ...stepRecord("r1", "later", { attempts: 1, leaseEpoch: 1 }),
        ...expected,
      });
      assert.deepEqual([claimed.again, claimed.notPending, claimed.missing], [null, null, null]);
      assert.deepEqual(await store.getSteps("r1"), [claimed.retry, claimed.later]);
    });

    it("fencing: updateOwnedStep with a stale epoch or a non-running status affects nothing", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([
          stepRecord("r1", "live", { status: "running", leaseEpoch: 2, leaseOwner: "w2" }),
          stepRecord("r1", "done", { status: "succeeded", leaseEpoch: 1, output: "original" }),
        ]);
      });
      const results = await store.transaction(async (tx) => ({
        stale: await tx.updateOwnedStep(
          { runId: "r1", stepId: "live", epoch: 1 },
          { status: "succeeded", output: "zombie" },
        ),
        notRunning: await tx.updateOwnedStep({ runId: "r1", stepId: "done", epoch: 1 }, { output: "late" }),
        current: await tx.updateOwnedStep({ runId: "r1", stepId: "live", epoch: 2 }, { leaseExpiresAt: 777 }),
      }));
      assert.deepEqual(results, { stale: false, notRunning: false, current: true });
      const [live, done] = await store.getSteps("r1");
      assert.equal(live?.status, "running");
      assert.equal(live?.output, null);
      assert.equal(live?.leaseExpiresAt, 777);
      assert.equal(done?.output, "original");
    });

    it("a parked step keeps what it waits for, is not claimed before it wakes, and reads it back everywhere", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([stepRecord("r1", "nap", { status: "running", leaseEpoch: 1, attempts: 1 })]);
      });
      const wait = { kind: "sleep" as const, until: 5000 };
      const parked = await store.transaction((tx) =>
        tx.updateOwnedStep(
          { runId: "r1", stepId: "nap", epoch: 1 },
          { status: "ready", readyAt: 5000, wait, attempts: 0, leaseOwner: null, leaseExpiresAt: null },
        ),
      );
      assert.equal(parked, true);
      const [row] = await store.getSteps("r1");
      assert.deepEqual(row?.wait, wait);
      assert.equal(row?.attempts, 0);
      assert.deepEqual((await store.getSteps("r1", undefined, { outputs: false }))[0]?.wait, wait);
      const claim = (now: number) =>
        store.transaction(async (tx) => refsOf(await tx.selectClaimable({ workerId: "w1", limit: 5, now })));
      assert.deepEqual(await claim(4999), []);
      assert.equal(await store.read((tx) => tx.nextReadyAt({ workerId: "w1" })), 5000);
      assert.deepEqual(await claim(5000), ["r1/nap"]);
      const claimed = await store.transaction((tx) =>
        tx.claimStep({ runId: "r1", stepId: "nap" }, "ready", { workerId: "w1", now: 5000, leaseMs: 1000 }),
      );
      assert.equal(claimed?.attempts, 1);
      await store.transaction((tx) =>
        tx.updateOwnedStep({ runId: "r1", stepId: "nap", epoch: 2 }, { status: "succeeded", wait: null }),
      );
      assert.equal((await store.getSteps("r1"))[0]?.wait, null);
    });

    it("signals: kept in order until taken, a key accepted once, taken by exactly one of two racing waits", async ({
      store,
    }) => {
      await store.transaction((tx) => insertRuns(tx, "r1", "r2"));
      const send = (runId: string, name: string, key: string | null, data: unknown) =>
        store.transaction((tx) =>
          tx.insertSignal({ runId, name, key, data: data as never, sentAt: 1_700_000_000_000 }),
        );
      assert.equal(await send("r1", "approve", "k1", { ok: true }), true);
      assert.equal(await send("r1", "approve", "k1", { ok: false }), false, "the same key is accepted once");
      assert.equal(await send("r1", "approve", null, "second"), true);
      assert.equal(await send("r1", "approve", null, "second"), true, "without a key every send counts");
      assert.equal(await send("r1", "other", "k1", 1), true, "keys are per signal name");
      assert.equal(await send("r2", "approve", "k1", 2), true, "and per run");
      const first = await store.read((tx) => tx.pendingSignal("r1", "approve"));
      assert.deepEqual(first?.data, { ok: true });
      assert.equal(first?.key, "k1");
      assert.equal(first?.takenAt, null);

      // Two waits take the same pending signal at once (on PostgreSQL, on two connections): one wins.
      const by = { runId: "r1", stepId: "wait" };
      const results = await Promise.all(
        [1, 2].map(() => store.transaction((tx) => tx.takeSignal(first!.seq, by, 5))),
      );
      assert.deepEqual(results.sort(), [false, true]);
      const next = await store.read((tx) => tx.pendingSignal("r1", "approve"));
      assert.equal(next?.data, "second");
      const all = await store.read((tx) => tx.listSignals("r1"));
      assert.deepEqual(
        all.map((x) => [x.name, x.data, x.takenBy, x.takenAt]),
        [
          ["approve", { ok: true }, "wait", 5],
          ["approve", "second", null, null],
          ["approve", "second", null, null],
          ["other", 1, null, null],
        ],
      );
      assert.equal(await store.read((tx) => tx.pendingSignal("r1", "nothing")), undefined);
    });

    it("memos: fenced like every owner write; read, overwrite, list and delete", async ({ store }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([
          stepRecord("r1", "s", { status: "running", leaseEpoch: 3 }),
          stepRecord("r1", "finished", { status: "succeeded", leaseEpoch: 1 }),
        ]);
      });
      const writes = await store.transaction(async (tx) => ({
        current: await tx.putMemo({ runId: "r1", stepId: "s", epoch: 3 }, "k1", { rows: 10 }),
        overwrite: await tx.putMemo({ runId: "r1", stepId: "s", epoch: 3 }, "k1", { rows: 11 }),
        second: await tx.putMemo({ runId: "r1", stepId: "s", epoch: 3 }, "k2", "two"),
        stale: await tx.putMemo({ runId: "r1", stepId: "s", epoch: 2 }, "k3", "zombie"),
        notRunning: await tx.putMemo({ runId: "r1", stepId: "finished", epoch: 1 }, "k1", "late"),
      }));
      assert.deepEqual(writes, {
        current: true,
        overwrite: true,
        second: true,
        stale: false,
        notRunning: false,
      });
      const ref = { runId: "r1", stepId: "s" };
      assert.deepEqual(await store.read((tx) => tx.getMemo(ref, "k1")), { value: { rows: 11 } });
      assert.equal(await store.read((tx) => tx.getMemo(ref, "k3")), undefined);
      assert.deepEqual((await store.listMemos(ref)).map((m) => [m.key, m.value]).sort(), [
        ["k1", { rows: 11 }],
        ["k2", "two"],
      ]);
      assert.deepEqual(await store.listMemos({ runId: "r1", stepId: "finished" }), []);
      await store.transaction((tx) => tx.deleteMemos("r1", ["s"]));
      assert.deepEqual(await store.listMemos(ref), []);
    });

    it("countUnsucceeded, runActivity and runningSteps describe a run's steps", async ({ store }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1", "r2", "r3");
        await tx.insertSteps([
          stepRecord("r1", "ok", { status: "succeeded" }),
          stepRecord("r1", "run1", { status: "running", leaseOwner: "w1" }),
          stepRecord("r1", "run2", { status: "running", leaseOwner: "w2" }),
          stepRecord("r1", "wait", { status: "pending" }),
          stepRecord("r2", "ok", { status: "succeeded" }),
          stepRecord("r3", "bad", { status: "failed" }),
          stepRecord("r3", "next", { status: "ready", readyAt: 1 }),
        ]);
      });
      const seen = await store.read(async (tx) => ({
        unsucceeded: await tx.countUnsucceeded("r1", ["ok", "run1", "wait"]),
        none: await tx.countUnsucceeded("r1", []),
        r1: await tx.runActivity("r1"),
        r2: await tx.runActivity("r2"),
        r3: await tx.runActivity("r3"),
        running: (await tx.runningSteps()).map((s) => s.stepId).sort(),
        ofW2: (await tx.runningSteps("w2")).map((s) => s.stepId),
      }));
      assert.deepEqual(seen, {
        unsucceeded: 2,
        none: 0,
        r1: { running: true, ready: false, failed: false, unfinished: true },
        r2: { running: false, ready: false, failed: false, unfinished: false },
        r3: { running: false, ready: true, failed: true, unfinished: true },
        running: ["run1", "run2"],
        ofW2: ["run2"],
      });
    });

    it("selectClaimable: ready steps due by now, of running runs only, up to the limit", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await tx.insertRun(runRecord("r1", { createdAt: 1 }));
        await tx.insertRun(runRecord("paused", { status: "paused", createdAt: 2 }));
        await tx.insertSteps([
          stepRecord("r1", "due1", { status: "ready", readyAt: 100 }),
          stepRecord("r1", "due2", { status: "ready", readyAt: 200 }),
          stepRecord("r1", "later", { status: "ready", readyAt: 5000 }),
          stepRecord("r1", "pending", { status: "pending" }),
          stepRecord("r1", "running", { status: "running", readyAt: null }),
          stepRecord("paused", "due", { status: "ready", readyAt: 100 }),
        ]);
      });
      const seen = await store.transaction(async (tx) => ({
        due: refsOf(await tx.selectClaimable({ workerId: "w1", limit: 10, now: 1000 })),
        limited: refsOf(await tx.selectClaimable({ workerId: "w1", limit: 1, now: 1000 })),
        all: refsOf(await tx.selectClaimable({ workerId: "w1", limit: 10, now: 10_000 })),
        next: await tx.nextReadyAt({ workerId: "w1" }),
      }));
      assert.deepEqual(seen, {
        due: ["r1/due1", "r1/due2"],
        limited: ["r1/due1"],
        all: ["r1/due1", "r1/due2", "r1/later"],
        next: 100,
      });
    });

    it("selectClaimable: driver, failFast, run and workflow filters", async ({ store }) => {
      await store.transaction(async (tx) => {
        await tx.insertRun(runRecord("free", { workflowId: "wf-a" }));
        await tx.insertRun(runRecord("mine", { workflowId: "wf-a", driverId: "w1" }));
        await tx.insertRun(runRecord("theirs", { workflowId: "wf-a", driverId: "w2" }));
        await tx.insertRun(runRecord("fast", { workflowId: "wf-b", failFast: true }));
        await tx.insertRun(runRecord("tolerant", { workflowId: "wf-b", failFast: false }));
        for (const run of ["free", "mine", "theirs", "fast", "tolerant"])
          await tx.insertSteps([stepRecord(run, "s", { status: "ready", readyAt: 1 })]);
        await tx.insertSteps([
          stepRecord("fast", "broken", { status: "failed" }),
          stepRecord("tolerant", "broken", { status: "failed" }),
        ]);
      });
      const claimable = (filter: { runIds?: string[]; workflowIds?: string[]; workerId?: string }) =>
        store.transaction(async (tx) =>
          refsOf(await tx.selectClaimable({ workerId: "w1", limit: 10, now: 10, ...filter })),
        );
      assert.deepEqual(await claimable({}), ["free/s", "mine/s", "tolerant/s"]);
      assert.deepEqual(await claimable({ workerId: "w2" }), ["free/s", "theirs/s", "tolerant/s"]);
      assert.deepEqual(await claimable({ runIds: ["mine", "theirs", "fast"] }), ["mine/s"]);
      assert.deepEqual(await claimable({ runIds: [] }), []);
      assert.deepEqual(await claimable({ workflowIds: ["wf-b"] }), ["tolerant/s"]);
      assert.deepEqual(await claimable({ workflowIds: [] }), []);
      assert.equal(await store.read((tx) => tx.nextReadyAt({ workerId: "w1", workflowIds: ["none"] })), null);
    });

    it("two workers claiming at once never get the same step", async ({ store }) => {
      const wf = loadWorkflow(
        toDefinition(
          workflow("fan")
            .step("s0", { needs: [] }, async () => 0)
            .step("s1", { needs: [] }, async () => 1)
            .step("s2", { needs: [] }, async () => 2)
            .step("s3", { needs: [] }, async () => 3),
        ),
      );
      await store.transaction(async (tx) => {
        for (let i = 0; i < 10; i++) await insertRun(tx, newRunParams(`fan-${i}`, wf));
      });
      const claim = (workerId: string) =>
        store.transaction((tx) => claimSteps(tx, { workerId, limit: 15, workflowIds: ["fan"] }, 60_000));
      const batches = await Promise.all(["w1", "w2", "w3", "w1b", "w2b", "w3b"].map(claim));
      const claimed = batches.flat().map((s) => `${s.runId}/${s.stepId}`);
      assert.equal(claimed.length, 40, "every ready step was claimed");
      assert.equal(new Set(claimed).size, 40, "no step was claimed twice");
      const epochs = new Set((await store.read((tx) => tx.runningSteps())).map((s) => s.leaseEpoch));
      assert.deepEqual([...epochs], [1]);
    });

    it("two parents finishing at once in separate transactions both make their join ready", async ({
      store,
    }) => {
      const wf = loadWorkflow(
        toDefinition(
          workflow("join")
            .step("left", { needs: [] }, async () => 1)
            .step("right", { needs: [] }, async () => 2)
            .step("join", { needs: ["left", "right"] }, async () => 3),
        ),
      );
      const runIds = Array.from({ length: 12 }, (_, i) => `join-${i}`);
      await store.transaction(async (tx) => {
        for (const id of runIds) await insertRun(tx, newRunParams(id, wf));
      });
      // Each parent is claimed by a different worker, as on two machines.
      const claimed: StepRecord[] = [];
      for (const id of runIds)
        for (const worker of ["w-left", "w-right"])
          claimed.push(
            ...(await store.transaction((tx) =>
              claimSteps(tx, { workerId: worker, limit: 1, runIds: [id] }, 60_000),
            )),
          );
      assert.equal(claimed.length, 24);
      await Promise.all(
        claimed.map((step) =>
          store.transaction((tx) =>
            recordOutcomes(
              tx,
              [
                {
                  ref: { runId: step.runId, stepId: step.stepId, epoch: step.leaseEpoch },
                  kind: "succeeded",
                  output: step.stepId,
                  logs: [],
                  fingerprint: "f",
                },
              ],
              { workflow: () => wf },
            ),
          ),
        ),
      );
      for (const id of runIds) {
        const join = (await store.getSteps(id, ["join"]))[0];
        assert.equal(join?.status, "ready", `the join of ${id} is ready once both parents succeeded`);
      }
    });

    it("three starts of one run id at the same moment: one creates the run, all get it back", async ({
      store,
    }) => {
      const wf = loadWorkflow(toDefinition(workflow("once").step("only", { needs: [] }, async () => 1)));
      const results = await Promise.all(
        [1, 2, 3].map(() => store.transaction((tx) => insertRun(tx, newRunParams("same-id", wf)))),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.ok(results.every((r) => r.run.id === "same-id"));
      const created = (await store.readEvents({ runId: "same-id" })).filter((e) => e.type === "run.created");
      assert.equal(created.length, 1);
    });

    it("a late completion under a stale epoch is rejected and logged; the current result stands", async ({
      store,
    }) => {
      const wf = loadWorkflow(toDefinition(workflow("one").step("only", { needs: [] }, async () => 1)));
      await store.transaction((tx) => insertRun(tx, newRunParams("r1", wf)));
      const [first] = await store.transaction((tx) =>
        claimSteps(tx, { workerId: "zombie", limit: 1 }, 60_000),
      );
      // The lease moves on: the step is put back and claimed by another worker (epoch 2).
      await store.transaction((tx) =>
        tx.updateStep({ runId: "r1", stepId: "only" }, { status: "ready", readyAt: 0 }, ["running"]),
      );
      const [second] = await store.transaction((tx) =>
        claimSteps(tx, { workerId: "taker", limit: 1 }, 60_000),
      );
      assert.equal(second?.leaseEpoch, 2);
      const outcome = (step: StepRecord, output: string) => ({
        ref: { runId: step.runId, stepId: step.stepId, epoch: step.leaseEpoch },
        kind: "succeeded" as const,
        output,
        logs: [],
        fingerprint: "f",
      });
      const taker = await store.transaction((tx) =>
        recordOutcomes(tx, [outcome(second!, "taker")], { workflow: () => wf }),
      );
      const zombie = await store.transaction((tx) =>
        recordOutcomes(tx, [outcome(first!, "zombie")], { workflow: () => wf }),
      );
      assert.equal(taker.rejected.length, 0);
      assert.equal(zombie.rejected.length, 1);
      assert.equal((await store.getSteps("r1"))[0]?.output, "taker");
      assert.equal((await store.getRun("r1"))?.status, "succeeded");
      const types = (await store.readEvents({ runId: "r1" })).map((e) => e.type);
      assert.deepEqual(types.slice(-2), ["run.succeeded", "step.completion-rejected"]);
    });

    it("events: appended in order, read after a sequence number, by run or by tenant", async ({ store }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1", ["r2", { tenant: "acme" }]);
        await tx.appendEvents([
          eventOf("r1", "run.created"),
          eventOf("r2", "run.created", "acme"),
          eventOf("r1", "step.started", "default", "s"),
        ]);
      });
      await store.transaction((tx) => tx.appendEvents([eventOf("r1", "run.succeeded")]));
      const all = await store.readEvents({});
      assert.deepEqual(
        all.map((e) => [e.runId, e.type]),
        [
          ["r1", "run.created"],
          ["r2", "run.created"],
          ["r1", "step.started"],
          ["r1", "run.succeeded"],
        ],
      );
      assert.ok(
        all.every((e, i) => i === 0 || e.seq > all[i - 1]!.seq),
        "seq increases",
      );
      assert.deepEqual(all[2], { seq: all[2]!.seq, ...eventOf("r1", "step.started", "default", "s") });
      const afterFirst = await store.readEvents({ runId: "r1", afterSeq: all[0]!.seq });
      assert.deepEqual(
        afterFirst.map((e) => e.type),
        ["step.started", "run.succeeded"],
      );
      assert.deepEqual(
        (await store.readEvents({ tenant: "acme" })).map((e) => e.runId),
        ["r2"],
      );
      assert.equal((await store.readEvents({ limit: 2 })).length, 2);
      assert.deepEqual(await store.readEvents({ afterSeq: all[3]!.seq }), []);
    });

    it("a reader following afterSeq while many transactions commit events misses none", async ({ store }) => {
      let writing = true;
      await store.transaction((tx) => insertRuns(tx, ...Array.from({ length: 8 }, (_, w) => `w${w}`)));
      const writers = Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 15; i++)
            await store.transaction(async (tx) => {
              await tx.insertSteps([stepRecord(`w${w}`, `s${i}`)]);
              await tx.appendEvents([eventOf(`w${w}`, "step.ready", "default", `s${i}`)]);
            });
        }),
      ).finally(() => {
        writing = false;
      });
      const seen: number[] = [];
      for (let more = true; more; ) {
        more = writing; // one last read after the writers finished
        const events = await store.readEvents({ afterSeq: seen[seen.length - 1] ?? 0 });
        seen.push(...events.map((e) => e.seq));
        if (events.length === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await writers;
      const all = (await store.readEvents({ limit: 10_000 })).map((e) => e.seq);
      assert.equal(all.length, 120);
      assert.deepEqual(seen, all, "the tail saw every event, in order");
    });

    it("logs: stored in order, read per run or per step", async ({ store }) => {
      const line = (stepId: string, text: string) => ({
        runId: "r1",
        stepId,
        attempt: 1,
        at: 5,
        stream: "stdout" as const,
        line: text,
      });
      await store.transaction((tx) =>
        tx.appendLogs([line("a", "one"), line("b", "two"), line("a", "three")]),
      );
      assert.deepEqual(
        (await store.readLogs("r1")).map((l) => l.line),
        ["one", "two", "three"],
      );
      assert.deepEqual(await store.readLogs("r1", "a"), [line("a", "one"), line("a", "three")]);
      assert.deepEqual(await store.readLogs("r2"), []);
    });

    it("tokens: stored by hash, listed, revoked once", async ({ store }) => {
      const token: TokenRecord = {
        id: "t1",
        tenant: "acme",
        name: "ci",
        hash: "ab".repeat(32),
        readOnly: true,
        createdAt: 10,
        revokedAt: null,
      };
      await store.transaction(async (tx) => {
        await tx.insertToken(token);
        await tx.insertToken({
          ...token,
          id: "t2",
          hash: "cd".repeat(32),
          readOnly: false,
          name: null,
          createdAt: 20,
        });
      });
      assert.deepEqual(await store.findTokenByHash(token.hash), token);
      assert.equal(await store.findTokenByHash("ef".repeat(32)), undefined);
      assert.deepEqual(
        (await store.listTokens()).map((t) => [t.id, t.readOnly]),
        [
          ["t1", true],
          ["t2", false],
        ],
      );
      const revoked = await store.transaction(async (tx) => [
        await tx.revokeToken("t1", 99),
        await tx.revokeToken("t1", 100),
        await tx.revokeToken("nope", 1),
      ]);
      assert.deepEqual(revoked, [true, false, false]);
      assert.equal((await store.findTokenByHash(token.hash))?.revokedAt, 99);
      await assert.rejects(
        store.transaction((tx) => tx.insertToken({ ...token, id: "t3" })),
        "a token hash is unique",
      );
    });

    it("run attempts: inserted, updated and listed in order", async ({ store }) => {
      const attempt = {
        runId: "r1",
        number: 1,
        at: 10,
        trigger: "cli",
        actor: null,
        action: "start" as const,
        strategy: null,
        stepsDone: 0,
        stepsTotal: 3,
        outcome: null,
        endedAt: null,
        note: null,
      };
      await store.transaction(async (tx) => {
        await tx.insertRunAttempt({
          ...attempt,
          number: 2,
          action: "resume",
          strategy: { retryFailed: true },
          at: 20,
        });
        await tx.insertRunAttempt(attempt);
        await tx.updateRunAttempt("r1", 1, { outcome: "failed", endedAt: 15, note: "step b failed" });
        await tx.updateRunAttempt("r1", 2, {});
      });
      assert.deepEqual(await store.listRunAttempts("r1"), [
        { ...attempt, outcome: "failed", endedAt: 15, note: "step b failed" },
        { ...attempt, number: 2, action: "resume", strategy: { retryFailed: true }, at: 20 },
      ]);
    });

    it("a transaction that throws leaves nothing behind; commits are counted", async ({ store }) => {
      const before = store.stats.commits;
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertRun(runRecord("ghost"));
          await tx.appendEvents([eventOf("ghost", "run.created")]);
          throw new Error("changed my mind");
        }),
        /changed my mind/,
      );
      assert.equal(await store.getRun("ghost"), undefined);
      assert.deepEqual(await store.readEvents({ runId: "ghost" }), []);
      await store.transaction((tx) => tx.insertRun(runRecord("real")));
      assert.equal(store.stats.commits, before + 1);
      assert.equal(await store.checkIntegrity(), "ok");
    });

    it("now() is the store's clock in milliseconds", async ({ store }) => {
      const before = Date.now();
      const now = await store.read((tx) => tx.now());
      assert.ok(Number.isInteger(now));
      // The database may run on another machine: allow for clock skew, not for seconds-vs-ms mistakes.
      assert.ok(Math.abs(now - before) < 60_000, `store clock ${now} vs local ${before}`);
    });

    it("reopening a migrated store keeps its data and migrates nothing twice", async ({ store, reopen }) => {
      await store.transaction((tx) => tx.insertRun(runRecord("kept")));
      const [second, third] = await Promise.all([reopen(), reopen()]);
      assert.equal((await second.getRun("kept"))?.id, "kept");
      assert.equal((await third.getRun("kept"))?.id, "kept");
    });

    it("a store written by a newer Cairn is refused with a clear sentence", async ({
      reopen,
      setSchemaVersion,
    }) => {
      await setSchemaVersion(99);
      await assert.rejects(reopen(), (error: Error) => {
        assert.match(
          error.message,
          /was created by a newer Cairn \(schema version 99; this Cairn knows up to \d+\)\. Upgrade Cairn to open it\./,
        );
        return true;
      });
    });

    it("the engine runs a workflow to success on this store", async ({ store }) => {
      const cairn = await Cairn.open({ db: store, pollIntervalMs: 50 });
      try {
        const wf = workflow(`small-${store.kind}`)
          .step("fetch", async () => ({ rows: 3 }))
          .step("double", async ({ needs }) => needs.fetch.rows * 2)
          .step("report", async ({ needs }) => `rows: ${needs.double}`);
        const handle = await cairn.start(wf, {});
        const run = await handle.result();
        assert.equal(run.status, "succeeded");
        assert.equal(run.output, "rows: 6");
        const steps = await store.getSteps(handle.id);
        assert.deepEqual(
          steps.map((s) => [s.stepId, s.status, s.attempts]),
          [
            ["fetch", "succeeded", 1],
            ["double", "succeeded", 1],
            ["report", "succeeded", 1],
          ],
        );
      } finally {
        await cairn.close();
      }
    });
  });
}

function newRunParams(runId: string, wf: ReturnType<typeof loadWorkflow>) {
  return {
    runId,
    workflow: wf,
    input: {},
    tenant: "default",
    workdir: "/tmp/cairn-conformance",
    origin: "start" as const,
    parent: null,
    driverId: null,
    trigger: "test",
    actor: null,
  };
}

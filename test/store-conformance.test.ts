// One suite, run unchanged against every store: SQLite (a temp file) and PostgreSQL (a schema per test).
import assert from "node:assert/strict";
import path from "node:path";
import { describe, type TestContext, test } from "node:test";
import Database from "better-sqlite3";
import { toDefinition } from "../src/core/builder.js";
import {
  type NewEvent,
  type RunRecord,
  STEP_STATUSES,
  type StepRecord,
  type WorkflowVersionRecord,
} from "../src/core/types.js";
import { insertRun } from "../src/engine/create-run.js";
import { loadWorkflow } from "../src/engine/registry.js";
import { blankStep } from "../src/engine/resume.js";
import { claimSteps, recordOutcomes } from "../src/engine/transitions.js";
import { Cairn, workflow } from "../src/index.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { UNFINISHED_STEP_STATUSES } from "../src/store/step-statuses.js";
import type { RetentionFilter, Store, StoreTx, TokenRecord, WorkerRecord } from "../src/store/store.js";
import type { TokenStore } from "../src/store/tokens.js";
import { pgTestDb } from "./helpers/pg.js";
import { runRecord } from "./helpers/records.js";
import { tempDir } from "./helpers/temp.js";

interface Subject {
  store: Store & TokenStore;
  /** Open a second handle on the same database (a restart, or another process). */
  reopen(): Promise<Store>;
  /** Pretend a newer Cairn migrated the database. */
  setSchemaVersion(version: number): Promise<void>;
  /** Runs per "workflow/status", counted on the runs table itself. */
  countRunsInTable(): Promise<Record<string, number>>;
}

const RUNS_IN_TABLE = "SELECT workflow_id, status, count(*) AS n FROM runs GROUP BY workflow_id, status";
const byWorkflowStatus = (rows: Array<Record<string, unknown>>) =>
  Object.fromEntries(rows.map((r) => [`${r.workflow_id}/${r.status}`, Number(r.n)]));

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
      const handles: SqliteStore[] = [SqliteStore.open(file)];
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
        async countRunsInTable() {
          const db = new Database(file, { readonly: true });
          try {
            return byWorkflowStatus(db.prepare(RUNS_IN_TABLE).all() as Array<Record<string, unknown>>);
          } finally {
            db.close();
          }
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
        countRunsInTable: async () => byWorkflowStatus(await db.sql(RUNS_IN_TABLE)),
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

    it("workflow versions: content-addressed per tenant, newest first, another tenant sees none", async ({
      store,
    }) => {
      const v = (version: string, tenant = "acme", at = 1000) => ({
        tenant,
        workflowId: "etl",
        version,
        definition: `{"id":"etl","v":"${version}"}`,
        createdAt: at,
      });
      assert.equal(await store.transaction((tx) => tx.putWorkflowVersion(v("aaa"))), true);
      assert.equal(
        await store.transaction((tx) => tx.putWorkflowVersion(v("bbb"))),
        true,
        "same millisecond",
      );
      assert.equal(await store.transaction((tx) => tx.putWorkflowVersion(v("aaa", "acme", 5000))), false);
      assert.equal(await store.transaction((tx) => tx.putWorkflowVersion(v("aaa", "other"))), true);
      assert.deepEqual(
        (await store.listWorkflowVersions("acme", "etl")).map((r) => [r.version, r.createdAt]),
        [
          ["bbb", 1000],
          ["aaa", 1000],
        ],
      );
      assert.deepEqual(await store.getWorkflowVersion("acme", "etl"), v("bbb"));
      assert.deepEqual(await store.getWorkflowVersion("acme", "etl", "aaa"), v("aaa"));
      // The same reads inside a transaction (a worker's recovery reads a run's version there).
      assert.deepEqual(
        await store.transaction(async (tx) => [
          await tx.getWorkflowVersion("acme", "etl"),
          await tx.getWorkflowVersion("acme", "etl", "aaa"),
          await tx.getWorkflowVersion("other", "etl", "bbb"),
        ]),
        [v("bbb"), v("aaa"), undefined],
      );
      assert.equal(await store.getWorkflowVersion("acme", "etl", "zzz"), undefined);
      assert.deepEqual(await store.listWorkflowVersions("nobody", "etl"), []);
      assert.equal(await store.getWorkflowVersion("nobody", "etl"), undefined);
    });

    it("stored workflows: a tenant's, by id, each with its newest version and number of versions", async ({
      store,
    }) => {
      const v = (workflowId: string, version: string, tenant = "acme"): WorkflowVersionRecord => ({
        tenant,
        workflowId,
        version,
        definition: `{"id":"${workflowId}","v":"${version}"}`,
        createdAt: 1000,
      });
      for (const record of [v("etl", "aaa"), v("backup", "ccc"), v("etl", "bbb"), v("etl", "zzz", "other")])
        await store.transaction((tx) => tx.putWorkflowVersion(record));
      assert.deepEqual(await store.listStoredWorkflows("acme"), [
        { newest: v("backup", "ccc"), versionCount: 1 },
        { newest: v("etl", "bbb"), versionCount: 2 },
      ]);
      assert.deepEqual(await store.listStoredWorkflows("nobody"), []);
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
        timeoutMs: 300_000,
        deadlineAt: 1_700_000_300_000,
        source: "/srv/flows/report.ts#report",
        traceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        workflowVersion: "3f9a1c0d2b7e4f61",
      });
      await store.transaction((tx) => tx.insertRun(run));
      assert.deepEqual(await store.getRun("r1"), run);
      assert.deepEqual(await store.read((tx) => tx.getRun("r1")), run);
      assert.equal(await store.getRun("missing"), undefined);
      await store.transaction((tx) => tx.updateRun("r1", { deadlineAt: 1_700_000_900_123 }));
      assert.equal((await store.getRun("r1"))?.deadlineAt, 1_700_000_900_123);
      await store.transaction((tx) => tx.updateRun("r1", { deadlineAt: null, timeoutMs: null }));
      assert.deepEqual(await store.getRun("r1"), { ...run, deadlineAt: null, timeoutMs: null });
      // A resume writes its attempt span's context in place of the previous one.
      const next = "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01";
      await store.transaction((tx) => tx.updateRun("r1", { traceParent: next }));
      assert.equal((await store.getRun("r1"))?.traceParent, next);
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
      assert.deepEqual(ids(await store.listRuns({ statuses: ["failed"] })), ["r5"]);
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

    it("listRunsCalledBy: the child runs a run's steps started, oldest first, with their calling step", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await tx.insertRun(runRecord("parent", { createdAt: 10 }));
        await tx.insertRun(runRecord("p.b.1", { createdAt: 30, callerRunId: "parent", callerStepId: "b" }));
        await tx.insertRun(runRecord("p.a.1", { createdAt: 20, callerRunId: "parent", callerStepId: "a" }));
        await tx.insertRun(runRecord("rerun", { createdAt: 40, parentRunId: "parent", origin: "rerun" }));
        await tx.insertRun(runRecord("other", { createdAt: 50, callerRunId: "p.a.1", callerStepId: "x" }));
      });
      const called = await store.read((tx) => tx.listRunsCalledBy("parent"));
      assert.deepEqual(
        called.map((r) => [r.id, r.callerRunId, r.callerStepId]),
        [
          ["p.a.1", "parent", "a"],
          ["p.b.1", "parent", "b"],
        ],
      );
      assert.deepEqual(
        (await store.read((tx) => tx.listRunsCalledBy("p.a.1"))).map((r) => r.id),
        ["other"],
      );
      assert.deepEqual(await store.read((tx) => tx.listRunsCalledBy("rerun")), []);
      assert.equal((await store.getRun("parent"))?.callerRunId, null);
    });

    it("metric counts: runs per workflow and status; ready steps of running runs per workflow, uncapped", async ({
      store,
    }) => {
      assert.deepEqual(await store.countForMetrics(), { runs: [], readySteps: [] });
      const running = 1200;
      await store.transaction(async (tx) => {
        for (let i = 0; i < running; i++) {
          await tx.insertRun(runRecord(`a${i}`, { workflowId: "alpha" }));
          // Two ready steps each (one waiting for a retry later still counts), one running, one pending.
          await tx.insertSteps([
            stepRecord(`a${i}`, "x", { status: "ready", readyAt: 1 }),
            stepRecord(`a${i}`, "y", { status: "ready", readyAt: 9_999_999_999_999 }),
            stepRecord(`a${i}`, "z", { status: "running" }),
            stepRecord(`a${i}`, "w", { status: "pending" }),
          ]);
        }
        // Ready steps of a paused run wait for a person, not for a worker: not in the queue.
        await insertRuns(tx, ["p1", { workflowId: "beta", status: "paused" }]);
        await tx.insertSteps([stepRecord("p1", "x", { status: "ready", readyAt: 1 })]);
        await insertRuns(
          tx,
          ["b1", { workflowId: "beta" }],
          ["b2", { workflowId: "beta", status: "failed" }],
          ["b3", { workflowId: "beta", status: "failed" }],
          ["g1", { workflowId: "gamma", status: "succeeded" }],
        );
        await tx.insertSteps([stepRecord("b1", "only", { status: "ready", readyAt: 1 })]);
      });
      const counts = await store.countForMetrics();
      const byKey = (rows: Array<{ workflowId: string; status?: string; count: number }>) =>
        Object.fromEntries(rows.map((r) => [`${r.workflowId}${r.status ? `/${r.status}` : ""}`, r.count]));
      assert.deepEqual(byKey(counts.runs), {
        "alpha/running": running,
        "beta/failed": 2,
        "beta/paused": 1,
        "beta/running": 1,
        "gamma/succeeded": 1,
      });
      assert.deepEqual(byKey(counts.readySteps), { alpha: 2 * running, beta: 1 });
    });

    it("countForMetrics' run counts equal the runs table through inserts, status changes and deletes", async ({
      store,
      countRunsInTable,
    }) => {
      const counted = async () =>
        Object.fromEntries(
          (await store.countForMetrics()).runs.map((r) => [`${r.workflowId}/${r.status}`, r.count]),
        );
      const check = async (what: string) => assert.deepEqual(await counted(), await countRunsInTable(), what);
      await store.transaction(async (tx) => {
        for (let i = 0; i < 30; i++)
          await tx.insertRun(runRecord(`r${i}`, { workflowId: i % 3 === 0 ? "alpha" : "beta" }));
      });
      await check("after inserts");
      await store.transaction(async (tx) => {
        for (let i = 0; i < 10; i++) await tx.updateRun(`r${i}`, { status: "succeeded" }, ["running"]);
        await tx.updateRun("r10", { status: "failed" });
        // Not a status change: a refused compare-and-set, the same status again, another field.
        assert.equal(await tx.updateRun("r11", { status: "cancelled" }, ["paused"]), false);
        await tx.updateRun("r12", { status: "running", updatedAt: 5 });
        await tx.updateRun("r13", { reason: "why" });
      });
      await check("after status changes");
      // Several changes of one run in one transaction; a change inside a rolled-back transaction.
      await store.transaction(async (tx) => {
        await tx.updateRun("r14", { status: "paused" });
        await tx.updateRun("r14", { status: "running" });
        await tx.updateRun("r14", { status: "interrupted" });
      });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.updateRun("r15", { status: "failed" });
          throw new Error("rolled back");
        }),
      );
      await check("after a rollback");
      // Retention deletes finished runs one by one; a resume makes a failed run running again.
      for (const id of ["r0", "r1", "r3", "r10"])
        assert.ok(await store.transaction((tx) => tx.deleteRun(id, ["succeeded", "failed"], 9)));
      await store.transaction((tx) => tx.updateRun("r14", { status: "running" }, ["interrupted"]));
      await check("after deletes");
      await store.transaction(async (tx) => {
        for (let i = 2; i < 10; i++) if (i !== 3) await tx.updateRun(`r${i}`, { status: "failed" });
      });
      for (let i = 2; i < 10; i++)
        if (i !== 3) await store.transaction((tx) => tx.deleteRun(`r${i}`, ["failed"], 9));
      await check("after a workflow's finished runs are all gone");
      assert.equal((await counted())["alpha/succeeded"], undefined, "no zero rows");
    });

    it("latestFailedRun: the newest failed run whose lineage no later success healed", async ({ store }) => {
      const run = (id: string, createdAt: number, o: Partial<RunRecord> = {}) =>
        runRecord(id, { workflowId: "wf", status: "failed", createdAt, finishedAt: createdAt + 5, ...o });
      await store.transaction(async (tx) => {
        // Lineage a: failed, then healed by a rerun that succeeded.
        await tx.insertRun(run("a", 10));
        await tx.insertRun(run("a-rerun", 40, { status: "succeeded", rootRunId: "a", parentRunId: "a" }));
        // Lineage b: failed; its restart failed too (the newest failure, unhealed).
        await tx.insertRun(run("b", 20));
        await tx.insertRun(run("b-restart", 30, { rootRunId: "b", parentRunId: "b" }));
        // Lineage c: another tenant's, and another workflow's failure.
        await tx.insertRun(run("c", 50, { tenant: "acme" }));
        await tx.insertRun(run("d", 60, { workflowId: "other" }));
      });
      assert.equal((await store.latestFailedRun("wf", "default"))?.id, "b-restart");
      assert.equal((await store.latestFailedRun("wf"))?.id, "c");
      assert.equal((await store.latestFailedRun("wf", "acme"))?.id, "c");
      // A success that finished after the failure started heals it, even when created before it
      // (a run of the lineage resumed to success after a rerun of it failed).
      await store.transaction(async (tx) => {
        await tx.insertRun(run("b-resumed", 25, { status: "succeeded", finishedAt: 35, rootRunId: "b" }));
      });
      assert.equal(await store.latestFailedRun("wf", "default"), undefined);
      assert.equal(await store.latestFailedRun("nothing"), undefined);
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

    it("fencing: updateOwnedStep with a stale epoch, another owner or a non-running status affects nothing", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([
          stepRecord("r1", "live", { status: "running", leaseEpoch: 2, leaseOwner: "w2" }),
          stepRecord("r1", "done", { status: "succeeded", leaseEpoch: 1, output: "original" }),
        ]);
      });
      const live = { runId: "r1", stepId: "live" };
      const results = await store.transaction(async (tx) => ({
        stale: await tx.updateOwnedStep(
          { ...live, epoch: 1, owner: "w2" },
          { status: "succeeded", output: "zombie" },
        ),
        // The right epoch under another owner: a worker that wrongly believed its claim committed.
        otherOwner: await tx.updateOwnedStep(
          { ...live, epoch: 2, owner: "w1" },
          { status: "succeeded", output: "impostor" },
        ),
        notRunning: await tx.updateOwnedStep(
          { runId: "r1", stepId: "done", epoch: 1, owner: null },
          { output: "late" },
        ),
        current: await tx.updateOwnedStep({ ...live, epoch: 2, owner: "w2" }, { leaseExpiresAt: 777 }),
      }));
      assert.deepEqual(results, { stale: false, otherOwner: false, notRunning: false, current: true });
      const [after, done] = await store.getSteps("r1");
      assert.equal(after?.status, "running");
      assert.equal(after?.output, null);
      assert.equal(after?.leaseExpiresAt, 777);
      assert.equal(done?.output, "original");
    });

    it("step processes: fenced like every owner write; a newer execution's replaces the older", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([
          stepRecord("r1", "s", { status: "running", leaseEpoch: 3, leaseOwner: "w1" }),
          stepRecord("r1", "finished", { status: "succeeded", leaseEpoch: 1, leaseOwner: null }),
        ]);
      });
      const group = (pgid: number) => ({ host: "h1", bootId: "b1", pgid, pidStart: "123456" });
      const writes = await store.transaction(async (tx) => ({
        current: await tx.recordStepProcess({ runId: "r1", stepId: "s", epoch: 3, owner: "w1" }, group(100)),
        stale: await tx.recordStepProcess({ runId: "r1", stepId: "s", epoch: 2, owner: "w1" }, group(200)),
        otherOwner: await tx.recordStepProcess(
          { runId: "r1", stepId: "s", epoch: 3, owner: "w2" },
          group(250),
        ),
        notRunning: await tx.recordStepProcess(
          { runId: "r1", stepId: "finished", epoch: 1, owner: null },
          group(300),
        ),
      }));
      assert.deepEqual(writes, { current: true, stale: false, otherOwner: false, notRunning: false });
      const ref = { runId: "r1", stepId: "s" };
      assert.deepEqual(await store.read((tx) => tx.getStepProcess(ref)), { epoch: 3, ...group(100) });
      assert.equal(
        await store.read((tx) => tx.getStepProcess({ runId: "r1", stepId: "finished" })),
        undefined,
      );
      // The step is claimed again (epoch 4): its new execution's group replaces the old one.
      await store.transaction((tx) => tx.updateStep(ref, { leaseEpoch: 4, leaseOwner: "w2" }));
      await store.transaction((tx) =>
        tx.recordStepProcess(
          { ...ref, epoch: 4, owner: "w2" },
          { host: "h2", bootId: null, pgid: 400, pidStart: null },
        ),
      );
      assert.deepEqual(await store.read((tx) => tx.getStepProcess(ref)), {
        epoch: 4,
        host: "h2",
        bootId: null,
        pgid: 400,
        pidStart: null,
      });
    });

    it("a parked step keeps what it waits for, is not claimed before it wakes, and reads it back everywhere", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([
          stepRecord("r1", "nap", { status: "running", leaseEpoch: 1, attempts: 1, leaseOwner: "w1" }),
        ]);
      });
      const wait = { kind: "sleep" as const, until: 5000 };
      const parked = await store.transaction((tx) =>
        tx.updateOwnedStep(
          { runId: "r1", stepId: "nap", epoch: 1, owner: "w1" },
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
        tx.updateOwnedStep(
          { runId: "r1", stepId: "nap", epoch: 2, owner: "w1" },
          { status: "succeeded", wait: null },
        ),
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

    it("schedules: synced with a workflow, a tick claimed by exactly one of two racing workers, paused and resumed", async ({
      store,
    }) => {
      const spec = (every: number) => ({ everyMs: every, missed: "skip" });
      await store.transaction((tx) =>
        tx.syncSchedules(
          "wf",
          [
            { name: "a", spec: spec(1000) },
            { name: "b", spec: spec(2000) },
          ],
          100,
        ),
      );
      await store.transaction((tx) => tx.syncSchedules("other", [{ name: "a", spec: spec(5) }], 100));
      const list = await store.read((tx) => tx.listSchedules());
      assert.deepEqual(
        list.map((s) => [s.workflowId, s.name, s.paused, s.lastTick, s.lastRunId]),
        [
          ["other", "a", false, 100, null],
          ["wf", "a", false, 100, null],
          ["wf", "b", false, 100, null],
        ],
      );
      assert.deepEqual(list[1]?.spec, spec(1000));

      // Two workers claim the same tick at once (on PostgreSQL, on two connections): one wins.
      const a = { workflowId: "wf", name: "a" };
      const claims = await Promise.all(
        [1, 2].map(() => store.transaction((tx) => tx.advanceSchedule(a, 1000, "run_1", 1001))),
      );
      assert.deepEqual(claims.sort(), [false, true]);
      assert.equal(await store.transaction((tx) => tx.advanceSchedule(a, 1000, "run_x", 1002)), false);
      assert.equal(
        await store.transaction((tx) => tx.advanceSchedule(a, 500, "run_x", 1002)),
        false,
        "never back",
      );
      assert.equal(await store.transaction((tx) => tx.advanceSchedule(a, 2000, null, 2001)), true, "skipped");
      let [row] = await store.read((tx) => tx.listSchedules("wf"));
      assert.deepEqual([row?.lastTick, row?.lastRunId], [2000, "run_1"], "a skipped tick keeps the last run");

      assert.equal(await store.transaction((tx) => tx.setSchedulePaused(a, true, 2100)), true);
      assert.equal(
        await store.transaction((tx) => tx.advanceSchedule(a, 3000, "run_3", 3001)),
        false,
        "paused",
      );
      assert.equal(await store.transaction((tx) => tx.setSchedulePaused(a, false, 5500)), true);
      [row] = await store.read((tx) => tx.listSchedules("wf"));
      assert.deepEqual([row?.paused, row?.lastTick], [false, 5500], "the pause's ticks are not due");
      assert.equal(await store.transaction((tx) => tx.setSchedulePaused(a, false, 9000)), true);
      [row] = await store.read((tx) => tx.listSchedules("wf"));
      assert.equal(row?.lastTick, 5500, "resuming a running schedule changes nothing");
      assert.equal(
        await store.transaction((tx) => tx.setSchedulePaused({ workflowId: "wf", name: "zz" }, true, 1)),
        false,
      );

      // A new definition: a new spec is taken, the state kept, a schedule no longer declared deleted.
      await store.transaction((tx) => tx.syncSchedules("wf", [{ name: "a", spec: spec(3000) }], 9999));
      const after = await store.read((tx) => tx.listSchedules("wf"));
      assert.deepEqual(
        after.map((s) => [s.name, s.spec, s.lastTick, s.lastRunId]),
        [["a", spec(3000), 5500, "run_1"]],
      );
      assert.equal((await store.read((tx) => tx.listSchedules())).length, 2, "other workflows untouched");
    });

    it("memos: fenced like every owner write; read, overwrite, list and delete", async ({ store }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([
          stepRecord("r1", "s", { status: "running", leaseEpoch: 3, leaseOwner: "w1" }),
          stepRecord("r1", "finished", { status: "succeeded", leaseEpoch: 1 }),
        ]);
      });
      const s = { runId: "r1", stepId: "s", owner: "w1" };
      const writes = await store.transaction(async (tx) => ({
        current: await tx.putMemo({ ...s, epoch: 3 }, "k1", { rows: 10 }),
        overwrite: await tx.putMemo({ ...s, epoch: 3 }, "k1", { rows: 11 }),
        second: await tx.putMemo({ ...s, epoch: 3 }, "k2", "two"),
        stale: await tx.putMemo({ ...s, epoch: 2 }, "k3", "zombie"),
        otherOwner: await tx.putMemo({ ...s, epoch: 3, owner: "w2" }, "k4", "impostor"),
        notRunning: await tx.putMemo(
          { runId: "r1", stepId: "finished", epoch: 1, owner: null },
          "k1",
          "late",
        ),
      }));
      assert.deepEqual(writes, {
        current: true,
        overwrite: true,
        second: true,
        stale: false,
        otherOwner: false,
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

    it("map items: a fenced batch is written all or none; read in item order, by status, by cursor", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([stepRecord("r1", "m", { status: "running", leaseEpoch: 2, leaseOwner: "w1" })]);
      });
      const ref = { runId: "r1", stepId: "m", epoch: 2, owner: "w1" };
      const item = (key: string, index: number, status: "succeeded" | "failed", attempts = 1) => ({
        runId: "r1",
        stepId: "m",
        key,
        index,
        status,
        attempts,
        output: status === "succeeded" ? { n: index } : null,
        error: status === "failed" ? { message: `bad ${key}` } : null,
        startedAt: 10 + index,
        finishedAt: 20 + index,
        fromRunId: null,
      });
      const writes = await store.transaction(async (tx) => ({
        batch: await tx.recordItems(ref, [
          item("c", 2, "failed"),
          item("a", 0, "succeeded"),
          item("b", 1, "succeeded"),
        ]),
        stale: await tx.recordItems({ ...ref, epoch: 1 }, [item("z", 9, "succeeded")]),
        otherOwner: await tx.recordItems({ ...ref, owner: "w2" }, [item("y", 8, "succeeded")]),
      }));
      assert.deepEqual(writes, { batch: true, stale: false, otherOwner: false });
      assert.deepEqual(await store.read((tx) => tx.countItems("r1", "m")), { succeeded: 2, failed: 1 });
      const all = await store.getItems("r1", "m");
      assert.deepEqual(
        all.map((i) => [i.key, i.index, i.status, i.attempts, i.output, i.error?.message ?? null]),
        [
          ["a", 0, "succeeded", 1, { n: 0 }, null],
          ["b", 1, "succeeded", 1, { n: 1 }, null],
          ["c", 2, "failed", 1, null, "bad c"],
        ],
      );
      assert.deepEqual([all[2]!.startedAt, all[2]!.finishedAt], [12, 22]);
      assert.deepEqual(await store.summariseItems("r1"), [
        { stepId: "m", counts: { succeeded: 2, failed: 1 }, firstFailed: { key: "c", message: "bad c" } },
      ]);
      assert.deepEqual(await store.summariseItems("nope"), []);
      // A retried item replaces its row (same key): the failure becomes a success with two attempts.
      assert.equal(
        await store.transaction((tx) => tx.recordItems(ref, [item("c", 2, "succeeded", 2)])),
        true,
      );
      assert.deepEqual(
        (await store.getItems("r1", "m", { status: "succeeded" })).map((i) => [i.key, i.attempts]),
        [
          ["a", 1],
          ["b", 1],
          ["c", 2],
        ],
      );
      assert.deepEqual(await store.getItems("r1", "m", { status: "failed" }), []);
      // A rerun starts with the succeeded items, naming the run that executed them (kept through a second copy).
      await store.transaction((tx) => insertRuns(tx, "r2", "r3"));
      assert.equal(
        await store.transaction((tx) => tx.copySucceededItems({ runId: "r1", stepId: "m" }, "r2")),
        3,
      );
      await store.transaction((tx) => tx.copySucceededItems({ runId: "r2", stepId: "m" }, "r3"));
      assert.deepEqual(
        (await store.getItems("r3", "m")).map((i) => [i.key, i.output, i.attempts, i.fromRunId]),
        [
          ["a", { n: 0 }, 1, "r1"],
          ["b", { n: 1 }, 1, "r1"],
          ["c", { n: 2 }, 2, "r1"],
        ],
      );
      assert.ok((await store.getItems("r1", "m")).every((i) => i.fromRunId === null));
      // A rerun of chosen items copies the others.
      await store.transaction((tx) => insertRuns(tx, "r4"));
      assert.equal(
        await store.transaction((tx) =>
          tx.copySucceededItems({ runId: "r1", stepId: "m" }, "r4", ["a", "c"]),
        ),
        1,
      );
      assert.deepEqual(
        (await store.getItems("r4", "m")).map((i) => i.key),
        ["b"],
      );
      assert.deepEqual(await store.read((tx) => tx.countItems("r1", "m")), { succeeded: 3, failed: 0 });
      assert.deepEqual(await store.read((tx) => tx.countItems("r1", "other")), { succeeded: 0, failed: 0 });
      assert.deepEqual(
        (await store.getItems("r1", "m", { afterIndex: 0, limit: 1 })).map((i) => i.key),
        ["b"],
      );
      assert.deepEqual(await store.read((tx) => tx.getItems("r1", "other")), []);
      // Dropping keys is fenced like recording: a stale writer deletes nothing.
      await store.transaction((tx) => tx.recordItems(ref, [item("d", 3, "failed")]));
      assert.equal(await store.transaction((tx) => tx.dropItems({ ...ref, epoch: 1 }, ["d"])), false);
      assert.equal(await store.transaction((tx) => tx.dropItems(ref, ["d", "nope"])), true);
      assert.deepEqual(
        (await store.getItems("r1", "m")).map((i) => i.key),
        ["a", "b", "c"],
      );
      // Not running any more: nothing is written or dropped.
      await store.transaction((tx) => tx.updateStep({ runId: "r1", stepId: "m" }, { status: "failed" }));
      assert.equal(await store.transaction((tx) => tx.recordItems(ref, [item("d", 3, "succeeded")])), false);
      assert.equal(await store.transaction((tx) => tx.dropItems(ref, ["a"])), false);
      assert.equal((await store.getItems("r1", "m")).length, 3);
      await store.transaction((tx) => tx.deleteItems("r1", ["m"]));
      assert.deepEqual(await store.getItems("r1", "m"), []);
    });

    it("map items: an item recorded at a new index (a rerun matching by key) leaves no row at its old one", async ({
      store,
    }) => {
      await store.transaction(async (tx) => {
        await insertRuns(tx, "r1");
        await tx.insertSteps([stepRecord("r1", "m", { status: "running", leaseEpoch: 1, leaseOwner: "w1" })]);
      });
      const ref = { runId: "r1", stepId: "m", epoch: 1, owner: "w1" };
      const item = (key: string, index: number) => ({
        runId: "r1",
        stepId: "m",
        key,
        index,
        status: "succeeded" as const,
        attempts: 1,
        output: key,
        error: null,
        startedAt: 1,
        finishedAt: 2,
        fromRunId: null,
      });
      const listed = async () => (await store.getItems("r1", "m")).map((i) => [i.index, i.key, i.output]);
      // Keys that are their index, keys that name another index, keys that only look like one.
      const record = (...items: Array<ReturnType<typeof item>>) =>
        store.transaction((tx) => tx.recordItems(ref, items));
      assert.equal(await record(item("0", 0), item("1", 1), item("5", 2), item("07", 3), item("x", 4)), true);
      assert.deepEqual(await listed(), [
        [0, "0", "0"],
        [1, "1", "1"],
        [2, "5", "5"],
        [3, "07", "07"],
        [4, "x", "x"],
      ]);
      // The list changed: "x" dropped; "0" and "1" swap places; "5" moves to the index it names; "07" to 0's.
      assert.equal(await store.transaction((tx) => tx.dropItems(ref, ["x"])), true);
      assert.equal(await record(item("1", 0), item("0", 1), item("07", 3), item("5", 5)), true);
      assert.deepEqual(await listed(), [
        [0, "1", "1"],
        [1, "0", "0"],
        [3, "07", "07"],
        [5, "5", "5"],
      ]);
      assert.equal(await record(item("5", 2)), true, "and back");
      assert.deepEqual(
        (await store.getItems("r1", "m")).map((i) => i.key),
        ["1", "0", "5", "07"],
      );
      assert.deepEqual((await store.getItems("r1", "m", { afterIndex: 1, limit: 1 }))[0]?.key, "5");
      assert.equal(await store.transaction((tx) => tx.dropItems(ref, ["0", "5", "nope", "3"])), true);
      assert.deepEqual(
        (await store.getItems("r1", "m")).map((i) => i.key),
        ["1", "07"],
      );
      await store.transaction((tx) => insertRuns(tx, "r2"));
      assert.equal(
        await store.transaction((tx) => tx.copySucceededItems({ runId: "r1", stepId: "m" }, "r2", ["07"])),
        1,
      );
      assert.deepEqual(
        (await store.getItems("r2", "m")).map((i) => [i.index, i.key, i.fromRunId]),
        [[0, "1", "r1"]],
      );
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

    it("a step is unfinished in every status but succeeded, in runActivity and countUnsucceeded", async ({
      store,
    }) => {
      // The definition both stores build their SQL from; changing it changes when runs succeed.
      assert.deepEqual(UNFINISHED_STEP_STATUSES, ["pending", "ready", "running", "failed", "cancelled"]);
      // One run per status: a succeeded step and a step in that status.
      await store.transaction(async (tx) => {
        for (const status of STEP_STATUSES) {
          await insertRuns(tx, `r-${status}`);
          await tx.insertSteps([
            stepRecord(`r-${status}`, "done", { status: "succeeded" }),
            stepRecord(`r-${status}`, "s", { status, leaseOwner: status === "running" ? "w1" : null }),
          ]);
        }
      });
      const seen = await store.read(async (tx) => {
        const byStatus: Record<string, { unfinished: boolean; unsucceeded: number }> = {};
        for (const status of STEP_STATUSES) {
          const activity = await tx.runActivity(`r-${status}`);
          const unsucceeded = await tx.countUnsucceeded(`r-${status}`, ["done", "s"]);
          byStatus[status] = { unfinished: activity.unfinished, unsucceeded };
        }
        return byStatus;
      });
      assert.deepEqual(
        seen,
        Object.fromEntries(
          STEP_STATUSES.map((status) => {
            const unfinished = UNFINISHED_STEP_STATUSES.includes(status);
            return [status, { unfinished, unsucceeded: unfinished ? 1 : 0 }];
          }),
        ),
      );
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
      const claimable = (filter: {
        runIds?: string[];
        workflowIds?: string[];
        workerId?: string;
        storedVersions?: boolean;
      }) =>
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
      // Runs of a stored version are claimable by a worker that asks for them, whatever their id.
      await store.transaction(async (tx) => {
        await tx.insertRun(runRecord("stored", { workflowId: "wf-c", workflowVersion: "v1" }));
        await tx.insertSteps([stepRecord("stored", "s", { status: "ready", readyAt: 1 })]);
      });
      assert.deepEqual(await claimable({ workflowIds: ["wf-b"] }), ["tolerant/s"]);
      const withStored = { workflowIds: ["wf-b"], storedVersions: true };
      assert.deepEqual(await claimable(withStored), ["stored/s", "tolerant/s"]);
      assert.deepEqual(await claimable({ workflowIds: [], storedVersions: true }), ["stored/s"]);
      assert.equal(
        await store.read((tx) => tx.nextReadyAt({ workerId: "w1", workflowIds: [], storedVersions: true })),
        1,
      );
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
                  ref: {
                    runId: step.runId,
                    stepId: step.stepId,
                    epoch: step.leaseEpoch,
                    owner: step.leaseOwner,
                  },
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
        ref: { runId: step.runId, stepId: step.stepId, epoch: step.leaseEpoch, owner: step.leaseOwner },
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
      assert.equal(await store.latestEventSeq(), 0, "no event yet");
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
      assert.equal(await store.latestEventSeq(), all[3]!.seq, "the newest event's seq");
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
      await store.insertToken(token);
      await store.insertToken({
        ...token,
        id: "t2",
        hash: "cd".repeat(32),
        readOnly: false,
        name: null,
        createdAt: 20,
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
      const revoked = [
        await store.revokeToken("t1", 99),
        await store.revokeToken("t1", 100),
        await store.revokeToken("nope", 1),
      ];
      assert.deepEqual(revoked, [true, false, false]);
      assert.equal((await store.findTokenByHash(token.hash))?.revokedAt, 99);
      await assert.rejects(store.insertToken({ ...token, id: "t3" }), "a token hash is unique");
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

    it("selectRunsForRetention: finished before a time, by status, workflow and tenant, sparing the newest N per workflow", async ({
      store,
    }) => {
      const run = (
        id: string,
        workflowId: string,
        status: RunRecord["status"],
        at: number,
        tenant = "default",
      ) =>
        [id, { workflowId, status, tenant, createdAt: at, updatedAt: at, finishedAt: at }] as [
          string,
          Partial<RunRecord>,
        ];
      await store.transaction((tx) =>
        insertRuns(
          tx,
          run("a1", "a", "succeeded", 100),
          run("a2", "a", "failed", 200),
          run("a3", "a", "succeeded", 300),
          run("a4", "a", "running", 400),
          run("b1", "b", "cancelled", 150),
          run("b2", "b", "succeeded", 900),
          run("g1", "a", "succeeded", 50, "globex"),
          [
            "i1",
            { workflowId: "a", status: "interrupted", createdAt: 120, updatedAt: 130, finishedAt: null },
          ],
        ),
      );
      const select = (f: Partial<RetentionFilter>) =>
        store.read(async (tx) =>
          (
            await tx.selectRunsForRetention({
              statuses: ["succeeded", "failed", "cancelled", "interrupted"],
              limit: 100,
              ...f,
            })
          ).map((r) => r.id),
        );
      assert.deepEqual(await select({}), ["g1", "a1", "i1", "b1", "a2", "a3", "b2"], "oldest first");
      assert.deepEqual(await select({ finishedBefore: 200 }), ["g1", "a1", "i1", "b1"]);
      assert.deepEqual(await select({ statuses: ["failed", "cancelled"] }), ["b1", "a2"]);
      assert.deepEqual(await select({ workflowId: "b" }), ["b1", "b2"]);
      assert.deepEqual(await select({ tenant: "globex" }), ["g1"]);
      assert.deepEqual(await select({ limit: 2 }), ["g1", "a1"]);
      // Each tenant keeps the newest two runs of each workflow: of a, a4 (running) and a3; of b, both;
      // globex's only run of a.
      assert.deepEqual(await select({ keepLast: 2 }), ["a1", "i1", "a2"]);
      assert.deepEqual(await select({ keepLast: 2, workflowId: "a" }), ["a1", "i1", "a2"]);
      assert.deepEqual(await select({ keepLast: 1, tenant: "globex" }), []);
      assert.deepEqual(await select({ keepLast: 3, finishedBefore: 125 }), ["a1"]);
      assert.deepEqual(await select({ statuses: [] }), []);
    });

    it("deleteRun removes a finished run with everything recorded for it, and leaves a tombstone", async ({
      store,
    }) => {
      const log = (runId: string) => ({
        runId,
        stepId: "s",
        attempt: 1,
        at: 5,
        stream: "stdout" as const,
        line: `log of ${runId}`,
      });
      const attempt = (runId: string) => ({
        runId,
        number: 1,
        at: 10,
        trigger: "cli",
        actor: null,
        action: "start" as const,
        strategy: null,
        stepsDone: 0,
        stepsTotal: 1,
        outcome: null,
        endedAt: null,
        note: null,
      });
      await store.transaction(async (tx) => {
        await insertRuns(
          tx,
          ["gone", { status: "succeeded", workflowId: "w", workdir: "/runs/gone" }],
          ["kept", { status: "succeeded" }],
          ["live", { status: "running" }],
        );
        for (const id of ["gone", "kept", "live"]) {
          await tx.insertSteps([stepRecord(id, "s", { status: "running", leaseEpoch: 1, leaseOwner: "w1" })]);
          await tx.putMemo({ runId: id, stepId: "s", epoch: 1, owner: "w1" }, "k", id);
          await tx.recordItems({ runId: id, stepId: "s", epoch: 1, owner: "w1" }, [
            {
              runId: id,
              stepId: "s",
              key: "0",
              index: 0,
              status: "succeeded",
              attempts: 1,
              output: id,
              error: null,
              startedAt: 1,
              finishedAt: 2,
              fromRunId: null,
            },
          ]);
          await tx.recordStepProcess(
            { runId: id, stepId: "s", epoch: 1, owner: "w1" },
            { host: "h1", bootId: null, pgid: 100, pidStart: null },
          );
          await tx.appendEvents([eventOf(id, "run.created")]);
          await tx.appendLogs([log(id)]);
          await tx.insertRunAttempt(attempt(id));
        }
      });
      const deleted = await store.transaction(async (tx) => ({
        live: await tx.deleteRun("live", ["succeeded", "failed"], 1000),
        missing: await tx.deleteRun("nope", ["succeeded"], 1000),
        gone: await tx.deleteRun("gone", ["succeeded", "failed"], 1000),
      }));
      assert.deepEqual(deleted, { live: false, missing: false, gone: true });
      assert.equal(await store.getRun("gone"), undefined);
      assert.deepEqual(await store.getSteps("gone"), []);
      assert.deepEqual(await store.listMemos({ runId: "gone", stepId: "s" }), []);
      assert.deepEqual(await store.getItems("gone", "s"), []);
      assert.equal((await store.getItems("kept", "s")).length, 1);
      assert.deepEqual(await store.readEvents({ runId: "gone" }), []);
      assert.deepEqual(await store.readLogs("gone"), []);
      assert.deepEqual(await store.listRunAttempts("gone"), []);
      assert.equal(await store.read((tx) => tx.getStepProcess({ runId: "gone", stepId: "s" })), undefined);
      for (const id of ["kept", "live"]) {
        assert.equal((await store.read((tx) => tx.getStepProcess({ runId: id, stepId: "s" })))?.pgid, 100);
        assert.equal((await store.getRun(id))?.id, id);
        assert.equal((await store.getSteps(id)).length, 1);
        assert.equal((await store.listMemos({ runId: id, stepId: "s" })).length, 1);
        assert.equal((await store.readEvents({ runId: id })).length, 1);
        assert.equal((await store.readLogs(id)).length, 1);
        assert.equal((await store.listRunAttempts(id)).length, 1);
      }
      const tombstone = {
        id: "gone",
        workflowId: "w",
        tenant: "default",
        workdir: "/runs/gone",
        deletedAt: 1000,
        workdirRemovedAt: null,
      };
      assert.deepEqual(await store.read((tx) => tx.getDeletedRuns(["gone", "kept"])), [tombstone]);
      assert.deepEqual(await store.read((tx) => tx.pendingWorkdirRemovals(10)), [tombstone]);
      await store.transaction((tx) => tx.markWorkdirRemoved("gone", 2000));
      assert.deepEqual(await store.read((tx) => tx.pendingWorkdirRemovals(10)), []);
      assert.deepEqual(await store.read((tx) => tx.getDeletedRuns(["gone"])), [
        { ...tombstone, workdirRemovedAt: 2000 },
      ]);
    });

    it("listWorkflowAttempts: every start and resume of a workflow's runs, newest first, paged", async ({
      store,
    }) => {
      const attempt = (runId: string, number: number, at: number) => ({
        runId,
        number,
        at,
        trigger: "cli",
        actor: null,
        action: number === 1 ? ("start" as const) : ("resume" as const),
        strategy: null,
        stepsDone: 0,
        stepsTotal: 1,
        outcome: null,
        endedAt: null,
        note: null,
      });
      await store.transaction(async (tx) => {
        await insertRuns(
          tx,
          ["r1", { workflowId: "w" }],
          ["r2", { workflowId: "w" }],
          ["g1", { workflowId: "w", tenant: "globex" }],
          ["x1", { workflowId: "other" }],
        );
        for (const a of [
          attempt("r1", 1, 10),
          attempt("r2", 1, 20),
          attempt("r1", 2, 30),
          attempt("r2", 2, 30),
          attempt("g1", 1, 25),
          attempt("x1", 1, 40),
        ])
          await tx.insertRunAttempt(a);
      });
      const page = (limit: number, before?: { at: number; runId: string; number: number }, tenant?: string) =>
        store.read(async (tx) =>
          (
            await tx.listWorkflowAttempts({
              workflowId: "w",
              limit,
              ...(before ? { before } : {}),
              ...(tenant ? { tenant } : {}),
            })
          ).map((a) => `${a.runId}#${a.number}`),
        );
      assert.deepEqual(await page(10), ["r2#2", "r1#2", "g1#1", "r2#1", "r1#1"]);
      assert.deepEqual(await page(10, undefined, "default"), ["r2#2", "r1#2", "r2#1", "r1#1"]);
      assert.deepEqual(await page(2), ["r2#2", "r1#2"]);
      assert.deepEqual(await page(2, { at: 30, runId: "r1", number: 2 }), ["g1#1", "r2#1"]);
      assert.deepEqual(await page(2, { at: 20, runId: "r2", number: 1 }), ["r1#1"]);
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

    it("schemaVersion: an opened store is at the latest version this Cairn knows", async ({ store }) => {
      const version = await store.schemaVersion();
      assert.ok(version.known >= 1);
      assert.deepEqual(version, { current: version.known, known: version.known });
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

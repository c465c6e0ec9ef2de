// The runs list's filters (several statuses, an id prefix, a time range) and their pages, run
// unchanged against both stores: the store conformance suite's cases for `listRuns`.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, type TestContext, test } from "node:test";
import type { RunRecord, RunStatus } from "../src/core/types.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { RunFilter, Store } from "../src/store/store.js";
import { pgTestDb } from "./helpers/pg.js";
import { runRecord } from "./helpers/records.js";
import { tempDir } from "./helpers/temp.js";

const harnesses: Array<{ name: string; open(t: TestContext): Promise<Store | null> }> = [
  {
    name: "sqlite",
    async open(t) {
      const store = SqliteStore.open(path.join(tempDir(), "cairn.db"));
      t.after(() => store.close());
      return store;
    },
  },
  {
    name: "postgres",
    async open(t) {
      const db = await pgTestDb(t);
      return db ? db.open() : null;
    },
  },
];

const ids = (runs: readonly RunRecord[]) => runs.map((r) => r.id);

/** Every page of the filter, `limit` at a time, each after the previous page's last run. */
async function allPages(store: Store, filter: RunFilter, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let before: RunFilter["before"];
  for (;;) {
    const page = await store.listRuns({ ...filter, limit, ...(before ? { before } : {}) });
    seen.push(...ids(page));
    const last = page.at(-1);
    if (page.length < limit || !last) return seen;
    before = { createdAt: last.createdAt, id: last.id };
  }
}

/** What `listRuns` must return: the same filter written plainly over the records. */
function expected(runs: readonly RunRecord[], f: RunFilter): string[] {
  return ids(
    runs
      .filter(
        (r) =>
          (f.tenant === undefined || r.tenant === f.tenant) &&
          (f.statuses === undefined || f.statuses.includes(r.status)) &&
          (f.workflowId === undefined || r.workflowId === f.workflowId) &&
          (f.idPrefix === undefined || r.id.startsWith(f.idPrefix)) &&
          (f.createdAfter === undefined || r.createdAt >= f.createdAfter) &&
          (f.createdBefore === undefined || r.createdAt < f.createdBefore),
      )
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)),
  );
}

const STATUSES: RunStatus[] = ["succeeded", "failed", "interrupted", "cancelled", "running", "paused"];

for (const harness of harnesses) {
  describe(`store conformance: ${harness.name}: the runs list's filters`, () => {
    const it = (name: string, body: (store: Store) => Promise<void>) =>
      test(name, async (t) => {
        const store = await harness.open(t);
        if (store) await body(store);
      });

    it("several statuses at once, newest first, with pages that neither skip nor repeat a run", async (store) => {
      const runs = Array.from({ length: 24 }, (_, i) =>
        // Pairs share a creation time, so the cursor's tie on the id is exercised.
        runRecord(`r${String(i).padStart(2, "0")}`, {
          status: STATUSES[i % STATUSES.length]!,
          createdAt: 1_000 + Math.floor(i / 2) * 10,
        }),
      );
      await store.transaction(async (tx) => {
        for (const run of runs) await tx.insertRun(run);
      });
      const failedOrInterrupted = await store.listRuns({ statuses: ["failed", "interrupted"] });
      assert.deepEqual(ids(failedOrInterrupted), expected(runs, { statuses: ["failed", "interrupted"] }));
      assert.deepEqual([...new Set(failedOrInterrupted.map((r) => r.status))].sort(), [
        "failed",
        "interrupted",
      ]);
      assert.equal(failedOrInterrupted.length, 8);
      assert.deepEqual(
        ids(await store.listRuns({ statuses: ["failed"] })),
        expected(runs, { statuses: ["failed"] }),
      );
      assert.deepEqual(
        await store.listRuns({ statuses: [] }).then(ids),
        expected(runs, {}),
        "no status: all",
      );
      for (const statuses of [
        ["failed", "interrupted"],
        ["running", "paused", "succeeded"],
      ] as RunStatus[][])
        for (const limit of [1, 3, 5])
          assert.deepEqual(await allPages(store, { statuses }, limit), expected(runs, { statuses }));
      assert.deepEqual(ids(await store.listRuns({ statuses: ["failed", "cancelled"], limit: 3 })), [
        "r21",
        "r19",
        "r15",
      ]);
    });

    it("an id prefix: the runs whose id starts with it, case-sensitive, in byte order", async (store) => {
      const names = [
        "run_a1",
        "run_a2",
        "run_b1",
        "runa1",
        "run-a1",
        "RUN_a3",
        "run_",
        "run_a",
        "xrun_a4",
        "run_a.9",
      ];
      const runs = names.map((id, i) => runRecord(id, { createdAt: 1_000 + i }));
      await store.transaction(async (tx) => {
        for (const run of runs) await tx.insertRun(run);
      });
      const byPrefix = async (idPrefix: string) => ids(await store.listRuns({ idPrefix }));
      assert.deepEqual(await byPrefix("run_a"), ["run_a.9", "run_a", "run_a2", "run_a1"]);
      assert.deepEqual(await byPrefix("run_"), expected(runs, { idPrefix: "run_" }));
      assert.deepEqual(await byPrefix("run_a1"), ["run_a1"], "a whole id");
      assert.deepEqual(await byPrefix("RUN"), ["RUN_a3"], "case-sensitive");
      assert.deepEqual(await byPrefix("a1"), [], "a prefix, not a substring");
      assert.deepEqual(await byPrefix("run_z"), []);
      assert.deepEqual(await byPrefix("r"), expected(runs, { idPrefix: "r" }));
      assert.deepEqual(await allPages(store, { idPrefix: "run" }, 2), expected(runs, { idPrefix: "run" }));
    });

    it("a time range: created at or after `createdAfter`, before `createdBefore`", async (store) => {
      const runs = [100, 200, 200, 300, 400].map((at, i) => runRecord(`t${i}`, { createdAt: at }));
      await store.transaction(async (tx) => {
        for (const run of runs) await tx.insertRun(run);
      });
      const range = async (f: RunFilter) => ids(await store.listRuns(f));
      assert.deepEqual(await range({ createdAfter: 200 }), ["t4", "t3", "t2", "t1"]);
      assert.deepEqual(await range({ createdBefore: 200 }), ["t0"]);
      assert.deepEqual(await range({ createdAfter: 200, createdBefore: 300 }), ["t2", "t1"]);
      assert.deepEqual(await range({ createdAfter: 300, createdBefore: 300 }), []);
      assert.deepEqual(await allPages(store, { createdAfter: 150, createdBefore: 401 }, 1), [
        "t4",
        "t3",
        "t2",
        "t1",
      ]);
    });

    it("every filter together, over many runs matching a prefix, page after page", async (store) => {
      // More runs share a prefix than a store may sort at once (SQLite reads those in created order).
      const runs: RunRecord[] = [];
      for (let i = 0; i < 2_300; i++)
        runs.push(
          runRecord(`${i % 10 === 0 ? "odd" : "many"}-${String((i * 7919) % 2_300).padStart(4, "0")}`, {
            status: STATUSES[i % 4]!,
            tenant: i % 3 === 0 ? "acme" : "default",
            workflowId: i % 5 === 0 ? "nightly" : "wf",
            createdAt: 10_000 + Math.floor(i / 3),
          }),
        );
      await store.transaction(async (tx) => {
        for (const run of runs) await tx.insertRun(run);
      });
      const filters: RunFilter[] = [
        { idPrefix: "many-" },
        { idPrefix: "many-", statuses: ["failed", "interrupted"], tenant: "default" },
        {
          idPrefix: "many-1",
          statuses: ["succeeded", "cancelled"],
          createdAfter: 10_100,
          createdBefore: 10_600,
        },
        { idPrefix: "odd-", statuses: ["interrupted", "paused"], workflowId: "nightly" },
        {
          statuses: ["failed", "interrupted"],
          createdAfter: 10_300,
          createdBefore: 10_500,
          tenant: "default",
        },
      ];
      for (const filter of filters) {
        const want = expected(runs, filter);
        assert.ok(want.length > 0, `the case ${JSON.stringify(filter)} lists some runs`);
        assert.deepEqual(await allPages(store, filter, 50), want, JSON.stringify(filter));
      }
    });
  });
}

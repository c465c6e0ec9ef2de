// Retention on both stores: what gc deletes, what it spares, and runs made from a deleted run.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, type TestContext, test } from "node:test";
import { storeOf } from "../src/engine/client-state.js";
import { collectGarbage, deleteOneRun } from "../src/engine/retention.js";
import { Cairn, type CairnError, workflow } from "../src/index.js";
import { pgTestDb } from "./helpers/pg.js";
import { tempDir } from "./helpers/temp.js";

const DAY = 86_400_000;
// A PostgreSQL store puts run directories under ./.cairn: keep them in a temp dir.
process.chdir(tempDir());

interface Harness {
  name: string;
  open(t: TestContext): Promise<Cairn | null>;
}

const harnesses: Harness[] = [
  {
    name: "sqlite",
    async open() {
      return Cairn.open({ db: path.join(tempDir(), "cairn.db"), pollIntervalMs: 20 });
    },
  },
  {
    name: "postgres",
    async open(t) {
      const db = await pgTestDb(t);
      if (!db) return null;
      // Closed by each test itself: the schema's own after-hook runs first.
      return Cairn.open({ db: await db.open(), pollIntervalMs: 20 });
    },
  },
];

/** fetch writes a file and returns rows; load fails while `state.fail`. */
function pipeline(state: { fail: boolean; fetches: number }) {
  return workflow("pipeline")
    .step("fetch", async ({ run }) => {
      state.fetches++;
      fs.writeFileSync(path.join(run.workdir, "rows.csv"), "a,b\n1,2\n");
      return { rows: 2 };
    })
    .step("load", { needs: ["fetch"] }, async ({ needs, run }) => {
      if (state.fail) throw new Error("warehouse unavailable");
      const csv = fs.readFileSync(path.join(run.workdir, "rows.csv"), "utf8");
      return { loaded: needs.fetch.rows, bytes: csv.length };
    });
}

for (const harness of harnesses) {
  describe(`retention: ${harness.name}`, () => {
    /** A test with a fresh Cairn on this store, closed when the test ends. */
    const it = (name: string, body: (cairn: Cairn) => Promise<void>) =>
      test(name, async (t) => {
        const cairn = await harness.open(t);
        if (!cairn) return;
        try {
          await body(cairn);
        } finally {
          await cairn.close({ abort: true });
        }
      });

    it("gc deletes an old failed run; its rerun keeps its reused output, its files and reruns again", async (cairn) => {
      const state = { fail: true, fetches: 0 };
      const wf = pipeline(state);
      const failed = await (await cairn.start(wf)).result();
      assert.equal(failed.status, "failed");
      state.fail = false;
      const child = await (await cairn.rerun(failed.id, { failed: true })).result();
      assert.equal(child.status, "succeeded");
      assert.equal(state.fetches, 1, "fetch was reused, not executed again");

      // Two days later, keep one run per workflow: the failed ancestor goes, the rerun stays.
      const dry = await collectGarbage(
        storeOf(cairn),
        { keepLast: 1, olderThanMs: DAY },
        {
          dryRun: true,
          now: Date.now() + 2 * DAY,
        },
      );
      assert.deepEqual(
        dry.runs.map((r) => r.id),
        [failed.id],
      );
      assert.equal(dry.bytes, "a,b\n1,2\n".length, "the space the run directory would free");
      assert.ok(await storeOf(cairn).getRun(failed.id), "a dry run deletes nothing");
      assert.ok(fs.existsSync(failed.workdir));

      const report = await collectGarbage(
        storeOf(cairn),
        { keepLast: 1, olderThanMs: DAY },
        {
          now: Date.now() + 2 * DAY,
        },
      );
      assert.deepEqual(
        report.runs.map((r) => [r.id, r.status]),
        [[failed.id, "failed"]],
      );
      assert.equal(report.bytes, 8);
      assert.equal(await storeOf(cairn).getRun(failed.id), undefined);
      assert.deepEqual(await storeOf(cairn).getSteps(failed.id), []);
      assert.deepEqual(await cairn.events(failed.id), []);
      assert.deepEqual(await cairn.history(failed.id), []);
      assert.equal(fs.existsSync(failed.workdir), false, "its directory is gone");
      const [tombstone] = await storeOf(cairn).read((tx) => tx.getDeletedRuns([failed.id]));
      assert.equal(tombstone?.workdirRemovedAt !== null, true);

      const survivor = await cairn.get(child.id);
      assert.equal(survivor?.run.status, "succeeded");
      const fetch = survivor?.steps.find((s) => s.stepId === "fetch");
      assert.deepEqual(fetch?.output, { rows: 2 });
      assert.deepEqual(fetch?.provenance, { ...fetch?.provenance, kind: "reused", fromRunId: failed.id });
      assert.ok(fs.existsSync(path.join(child.workdir, "rows.csv")), "the rerun's own copy of the file");

      // A rerun of the survivor still reuses fetch (from its own rows) and reads the copied file.
      const again = await (await cairn.rerun(child.id, { from: ["load"] })).result();
      assert.equal(again.status, "succeeded");
      assert.deepEqual(again.output, { loaded: 2, bytes: 8 });
      assert.equal(state.fetches, 1);
    });

    it("unfinished runs are never deleted; deleting one is refused with its status", async (cairn) => {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow = workflow("slow").step("wait", async () => {
        await held;
        return 1;
      });
      const handle = await cairn.start(slow);
      const report = await collectGarbage(storeOf(cairn), { olderThanMs: 0 }, { now: Date.now() + DAY });
      assert.deepEqual(report.runs, []);
      await assert.rejects(deleteOneRun(storeOf(cairn), handle.id), (error: CairnError) => {
        assert.equal(error.code, "CONFLICT");
        assert.deepEqual(error.details, { status: "running" });
        assert.match(error.message, /is running; only a finished run .* can be deleted/);
        return true;
      });
      await cairn.pause(handle.id);
      await assert.rejects(deleteOneRun(storeOf(cairn), handle.id), /is paused/);
      await assert.rejects(deleteOneRun(storeOf(cairn), "nope"), /does not exist/);
      await assert.rejects(deleteOneRun(storeOf(cairn), handle.id, "globex"), /does not exist/);
      release();
      await cairn.cancel(handle.id);
      await cairn.wait(handle.id);
      const gone = await deleteOneRun(storeOf(cairn), handle.id);
      assert.equal(gone.status, "cancelled");
      assert.equal(await storeOf(cairn).getRun(handle.id), undefined);
    });

    it("gc by status and workflow, bounded per call; a second call continues", async (cairn) => {
      const ok = workflow("ok").step("one", async () => 1);
      const bad = workflow("bad").step("one", async () => {
        throw new Error("no");
      });
      const oks = [];
      for (let i = 0; i < 5; i++) oks.push((await (await cairn.start(ok)).result()).id);
      const bads = [];
      for (let i = 0; i < 2; i++) bads.push((await (await cairn.start(bad)).result()).id);
      const later = { now: Date.now() + DAY };
      const failedOnly = await collectGarbage(storeOf(cairn), { statuses: ["failed"] }, later);
      assert.deepEqual(failedOnly.runs.map((r) => r.id).sort(), [...bads].sort());
      const first = await collectGarbage(storeOf(cairn), { workflowId: "ok" }, { ...later, maxRuns: 3 });
      assert.deepEqual(
        first.runs.map((r) => r.id),
        oks.slice(0, 3),
        "oldest first",
      );
      assert.equal(first.more, true);
      const second = await collectGarbage(storeOf(cairn), { workflowId: "ok" }, { ...later, maxRuns: 3 });
      assert.deepEqual(
        second.runs.map((r) => r.id),
        oks.slice(3),
      );
      assert.equal(second.more, false);
      assert.deepEqual(await cairn.list({}), []);
    });
  });
}

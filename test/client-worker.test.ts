import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Cairn, CairnClient, type CairnError, CairnWorker, loadOneWorkflow, workflow } from "../src/index.js";
import { tempDir } from "./helpers/temp.js";

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/fails-until-fixed.yaml");

const report = workflow("report")
  .step("fetch", async () => ({ rows: 3 }))
  .step("sum", { needs: ["fetch"] }, async ({ needs }) => needs.fetch.rows * 2);

test("a client alone executes nothing; a worker attached to another client runs what it started", async (t) => {
  const db = path.join(tempDir(), "cairn.db");
  const client = await CairnClient.open({ db, pollIntervalMs: 20 });
  t.after(() => client.close());
  const handle = await client.start(report, {});
  assert.equal(handle.run.driverId, null, "nobody in the client's process drives the run");
  assert.deepEqual(
    (await client.steps(handle.id)).map((s) => [s.stepId, s.status]),
    [
      ["fetch", "ready"],
      ["sum", "pending"],
    ],
  );

  const workerClient = await CairnClient.open({ db, pollIntervalMs: 20 });
  await workerClient.register(report);
  const worker = await CairnWorker.start(workerClient, { concurrency: 2 });
  const run = await handle.result();
  assert.equal(run.status, "succeeded");
  assert.equal(run.output, 6);

  await assert.rejects(CairnWorker.start(workerClient), (error: CairnError) => error.code === "CONFLICT");
  await workerClient.close();
  assert.equal(worker.executing(), false, "closing the client closed its worker");
});

test("a client loads a workflow it has not registered only through the loadWorkflow it was given", async (t) => {
  const db = path.join(tempDir(), "cairn.db");
  const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
  t.after(() => cairn.close());
  const failed = await (await cairn.start(await loadOneWorkflow(FIXTURE), {})).result();
  assert.equal(failed.status, "failed");

  const bare = await CairnClient.open({ db });
  t.after(() => bare.close());
  await assert.rejects(
    bare.resumePlan(failed.id),
    (error: CairnError) =>
      error.code === "NOT_FOUND" &&
      /"fails-until-fixed" is not registered in this process/.test(error.message),
  );

  const asked: Array<[string, string]> = [];
  const loading = await CairnClient.open({
    db,
    loadWorkflow: (file, id) => {
      asked.push([file, id]);
      return loadOneWorkflow(file, id);
    },
  });
  t.after(() => loading.close());
  const plan = await loading.resumePlan(failed.id);
  assert.deepEqual(asked, [[FIXTURE, "fails-until-fixed"]]);
  assert.deepEqual(
    plan.steps.map((s) => [s.stepId, s.action]),
    [
      ["prepare", "keep"],
      ["flaky", "retry"],
      ["finish", "run"],
    ],
  );
});

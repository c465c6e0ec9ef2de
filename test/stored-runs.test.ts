// Runs of workflows stored as data, on SQLite and PostgreSQL: started by id (the newest version, or a
// named one), each run recording its version; resume keeps the run's version though a newer one was
// stored; restart and rerun take the newest unless one is named, and rerun compares the two versions
// step by step; another tenant cannot start them; a process without an action fails the run saying so.
import assert from "node:assert/strict";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { z } from "zod";
import { storeOf } from "../src/engine/client-state.js";
import { claimSteps } from "../src/engine/transitions.js";
import { Cairn, CairnClient, CairnError, defineAction } from "../src/index.js";
import { pgTestDb } from "./helpers/pg.js";
import { tempDir } from "./helpers/temp.js";

/** A SQLite file or a PostgreSQL schema for one test; null when PostgreSQL is skipped. */
const stores: Array<[string, (t: TestContext) => Promise<string | null>]> = [
  ["sqlite", async () => path.join(tempDir(), "cairn.db")],
  ["postgres", async (t) => (await pgTestDb(t))?.url ?? null],
];

// Run directories go under a temp dir (a PostgreSQL store puts them under ./.cairn).
process.chdir(tempDir());

const greet = defineAction({
  name: "greet",
  version: 1,
  params: z.strictObject({ name: z.string() }),
  handler: ({ name }) => `Hello, ${name}!`,
});

/** Fails until the test opens it. */
let gateOpen = false;
const gate = defineAction({
  name: "gate",
  version: 1,
  params: z.strictObject({}),
  handler: () => {
    if (!gateOpen) throw new Error("the gate is closed");
    return "through";
  },
});

const V1 = `id: etl
input:
  type: object
  properties: { name: { type: string } }
  required: [name]
steps:
  - id: hello
    uses: greet
    with: { name: "\${{ input.name }}" }
  - id: other
    uses: greet
    with: { name: other }
  - id: gate
    uses: gate
    needs: [hello]
`;
/** Version 2 changes one step's `with:` and adds a step. */
const V2 = V1.replace("with: { name: other }", "with: { name: changed }").concat(
  "  - id: extra\n    uses: greet\n    with: { name: extra }\n",
);

async function outputs(cairn: Cairn, runId: string): Promise<Record<string, unknown>> {
  const view = await cairn.get(runId);
  return Object.fromEntries(view!.steps.map((s) => [s.stepId, s.output]));
}

for (const [kind, open] of stores) {
  test(`${kind}: start the newest or a named version; resume keeps the run's own; restart and rerun take the newest unless named`, async (t) => {
    const db = await open(t);
    if (!db) return;
    gateOpen = false;
    const cairn = await Cairn.open({ db, pollIntervalMs: 20, actions: [greet, gate] });
    try {
      const v1 = (await cairn.storeWorkflow("etl", V1, { format: "yaml" })).version;
      const first = await cairn.start("etl", { name: "Ada" });
      assert.equal(first.run.workflowVersion, v1, "an unregistered id starts the newest stored version");
      assert.equal((await first.result()).status, "failed");
      await assert.rejects(
        cairn.start("etl", {}),
        (e: unknown) => e instanceof CairnError && e.code === "INVALID_INPUT",
        "the stored input schema is checked",
      );

      const v2 = (await cairn.storeWorkflow("etl", V2, { format: "yaml" })).version;
      assert.notEqual(v2, v1);
      // Resume: the run's own version, though a newer one is stored (no "extra" step appears).
      gateOpen = true;
      const resumed = await cairn.resume(first.id);
      assert.deepEqual(resumed.plan.changed, []);
      const done = await resumed.result();
      assert.equal(done.status, "succeeded");
      assert.equal(done.workflowVersion, v1);
      assert.deepEqual(await outputs(cairn, first.id), {
        hello: "Hello, Ada!",
        other: "Hello, other!",
        gate: "through",
      });

      // Start: the newest by default, "latest" or a named one.
      assert.equal((await cairn.start("etl", { name: "B" })).run.workflowVersion, v2);
      assert.equal((await cairn.start("etl", { name: "B" }, { version: "latest" })).run.workflowVersion, v2);
      const named = await cairn.start("etl", { name: "C" }, { version: v1 });
      assert.equal(named.run.workflowVersion, v1);
      assert.deepEqual(Object.keys(await outputs(cairn, named.id)).sort(), ["gate", "hello", "other"]);
      await named.result();

      // Restart: the newest version unless one is named.
      const restarted = await cairn.restart(first.id);
      assert.equal(restarted.run.workflowVersion, v2);
      assert.equal((await restarted.result()).status, "succeeded");
      assert.equal((await outputs(cairn, restarted.id)).extra, "Hello, extra!");
      const pinned = await cairn.restart(first.id, { version: v1 });
      assert.equal(pinned.run.workflowVersion, v1);
      await pinned.result();

      // Rerun: v2 changed "other" (and added "extra"): the plan says so, step by step.
      const plan = await cairn.rerunPlan(first.id, { from: ["gate"] });
      assert.deepEqual(plan.changed, ["other"]);
      assert.match(plan.refusal ?? "", /other/);
      await assert.rejects(cairn.rerun(first.id, { from: ["gate"] }), /changed/);
      const rerun = await cairn.rerun(first.id, { from: ["gate"] }, { onChange: "rerun" });
      assert.equal(rerun.run.workflowVersion, v2);
      const byStep = new Map(rerun.plan.steps.map((s) => [s.stepId, s]));
      assert.equal(byStep.get("hello")?.action, "keep");
      assert.equal(byStep.get("other")?.cause, "definition-changed");
      assert.equal((await rerun.result()).status, "succeeded");
      const view = await cairn.get(rerun.id);
      const step = (id: string) => view!.steps.find((s) => s.stepId === id)!;
      assert.equal(step("hello").provenance?.kind, "reused");
      assert.equal(step("hello").output, "Hello, Ada!");
      assert.equal(step("other").provenance?.kind, "executed");
      assert.equal(step("other").output, "Hello, changed!");
      // A rerun on the run's own version changes nothing but what was chosen.
      const same = await cairn.rerunPlan(first.id, { from: ["gate"] }, { version: v1 });
      assert.deepEqual(same.changed, []);
      assert.equal(same.refusal, null);
    } finally {
      await cairn.close();
    }
  });

  test(`${kind}: another tenant cannot start it; an unknown version is NOT_FOUND, in one sentence`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const cairn = await Cairn.open({ db, pollIntervalMs: 20, actions: [greet, gate], tenant: "acme" });
    try {
      await cairn.storeWorkflow("etl", V1, { format: "yaml" });
      const refused = (p: Promise<unknown>, message: string) =>
        assert.rejects(
          p,
          (e: unknown) => e instanceof CairnError && e.code === "NOT_FOUND" && e.message === message,
        );
      await refused(
        cairn.start("etl", { name: "x" }, { tenant: "globex" }),
        'Workflow "etl" is not registered.',
      );
      await refused(
        cairn.start("etl", { name: "x" }, { tenant: "globex", version: "latest" }),
        'Workflow "etl" has no stored versions.',
      );
      await refused(
        cairn.start("etl", { name: "x" }, { version: "0000000000000000" }),
        'Workflow "etl" has no stored version "0000000000000000" (cairn workflows versions etl lists them).',
      );
    } finally {
      await cairn.close();
    }
  });

  test(`${kind}: a worker without the action fails the run with a sentence naming it`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const client = await CairnClient.open({ db, actions: [greet, gate] });
    const worker = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      const { version } = await client.storeWorkflow("etl", V1, { format: "yaml" });
      const handle = await client.start("etl", { name: "Ada" });
      const run = await worker.wait(handle.id);
      assert.equal(run.status, "failed");
      assert.match(
        run.error?.message ?? "",
        new RegExp(
          `^Step "(hello|other)" failed: Workflow "etl" version ${version} cannot run in this process: it calls "greet", "gate", not registered here \\(register them with Cairn\\.open\\(\\{ actions \\}\\) in every process that starts or executes its runs\\)\\.$`,
        ),
      );
      assert.equal((await worker.get(handle.id))?.run.workflowVersion, version);
    } finally {
      await worker.close();
      await client.close();
    }
  });
}

for (const [kind, open] of stores) {
  test(`${kind}: a worker recovers a stored run whose owner died, with the version's own recovery policy`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const client = await CairnClient.open({ db, actions: [greet] });
    let careful = "";
    let relaxed = "";
    try {
      const manual = `id: careful\nrecovery: manual\nsteps:\n  - id: hello\n    uses: greet\n    with: { name: Ada }\n`;
      await client.storeWorkflow("careful", manual, { format: "yaml" });
      await client.storeWorkflow("relaxed", manual.replace("careful", "relaxed").replace("manual", "auto"), {
        format: "yaml",
      });
      careful = (await client.start("careful", {}, { detach: true })).id;
      relaxed = (await client.start("relaxed", {}, { detach: true })).id;
      // A worker that died mid-step: it claimed both steps, and its leases have run out.
      const claimed = await storeOf(client).transaction((tx) =>
        claimSteps(tx, { workerId: "w-dead", limit: 10, workflowIds: [], storedVersions: true }, -1000),
      );
      assert.equal(claimed.length, 2);
    } finally {
      await client.close();
    }
    const worker = await Cairn.open({
      db,
      pollIntervalMs: 20,
      actions: [greet],
      recoveryIntervalMs: 600_000,
    });
    try {
      const report = await worker.recover();
      assert.deepEqual(
        report.interrupted.map((i) => i.runId),
        [careful],
        "recovery: manual in the stored version leaves the run to a person",
      );
      assert.deepEqual(
        report.recovered.map((r) => r.runId),
        [relaxed],
      );
      const run = await worker.wait(relaxed);
      assert.equal(run.status, "succeeded");
      assert.equal((await worker.run(careful))?.status, "interrupted");
    } finally {
      await worker.close();
    }
  });
}

// Two reapers recover the steps of a dead worker while a live worker claims them again and eight
// requests try to resume one failed run, all at once against one PostgreSQL schema.
import assert from "node:assert/strict";
import { test } from "node:test";
import { toDefinition } from "../../src/core/builder.js";
import { isCairnError } from "../../src/core/errors.js";
import { insertRun } from "../../src/engine/create-run.js";
import { loadWorkflow } from "../../src/engine/registry.js";
import { claimSteps } from "../../src/engine/transitions.js";
import { Cairn, workflow } from "../../src/index.js";
import { pgTestDb } from "../helpers/pg.js";
import { tempDir, until } from "../helpers/temp.js";

const ORPHANED_RUNS = 15;

test("two reapers and concurrent resumes: no step is recovered twice, exactly one resume proceeds", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  process.chdir(tempDir());
  const executions: string[] = [];
  const reaped = workflow("reaped")
    .step("p0", { needs: [] }, async ({ run, step }) => executions.push(`${run.id}/${step.id}`))
    .step("p1", { needs: [] }, async ({ run, step }) => executions.push(`${run.id}/${step.id}`))
    .step("p2", { needs: [] }, async ({ run, step }) => executions.push(`${run.id}/${step.id}`))
    .step("p3", { needs: [] }, async ({ run, step }) => executions.push(`${run.id}/${step.id}`))
    .step("join", { needs: ["p0", "p1", "p2", "p3"] }, async ({ run, step }) =>
      executions.push(`${run.id}/${step.id}`),
    );
  const loaded = loadWorkflow(toDefinition(reaped));

  // The crashed state, set up directly: a worker that stopped while holding 60 steps, and a failed run.
  const setup = await db.open();
  const orphaned = Array.from({ length: ORPHANED_RUNS }, (_, i) => `orphaned-${String(i).padStart(2, "0")}`);
  await setup.transaction(async (tx) => {
    const now = await tx.now();
    await tx.upsertWorker({
      id: "w-dead",
      host: "elsewhere",
      pid: 1,
      pidStart: null,
      bootId: null,
      startedAt: now - 60_000,
      heartbeatAt: now - 60_000,
      leaseMs: 1000,
      stoppedAt: null,
    });
    for (const id of orphaned) await insertRun(tx, newRun(id, loaded));
    await insertRun(tx, newRun("failed-run", loaded));
    for (const s of ["p1", "p2", "p3"])
      await tx.updateStep(
        { runId: "failed-run", stepId: s },
        { status: "succeeded", output: 1, readyAt: null },
      );
    await tx.updateStep(
      { runId: "failed-run", stepId: "p0" },
      { status: "failed", error: { message: "boom" }, readyAt: null },
    );
    await tx.updateRun("failed-run", { status: "failed", error: { message: "Step p0 failed: boom" } });
  });
  const held = await setup.transaction((tx) =>
    claimSteps(tx, { workerId: "w-dead", limit: 100, runIds: orphaned }, 1000),
  );
  assert.equal(held.length, ORPHANED_RUNS * 4);
  await setup.transaction(async (tx) => {
    for (const step of held)
      await tx.updateOwnedStep(
        { ...step, epoch: step.leaseEpoch, owner: step.leaseOwner },
        { leaseExpiresAt: (await tx.now()) - 30_000 },
      );
  });

  // A live worker claims whatever becomes ready; two other processes reap and resume.
  const live = await Cairn.open({
    db: await db.open(),
    execute: true,
    recover: false,
    concurrency: 16,
    pollIntervalMs: 100,
  });
  const reapAndResume = async (): Promise<void> => {
    const reapers = await Promise.all(
      [1, 2].map(async () => {
        const cairn = await Cairn.open({ db: await db.open(), execute: false });
        t.after(() => cairn.close());
        await cairn.register(reaped);
        return cairn;
      }),
    );
    const [reports, resumes] = await Promise.all([
      Promise.all(reapers.flatMap((r) => [r.recover(), r.recover(), r.recover()])),
      Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => reapers[i % 2]!.resume("failed-run", { detach: true })),
      ),
    ]);

    const recovered = reports.flatMap((r) => r.recovered.map((s) => `${s.runId}/${s.stepId}`));
    assert.equal(recovered.length, ORPHANED_RUNS * 4, "every orphaned step recovered");
    assert.equal(new Set(recovered).size, recovered.length, "no step recovered twice");
    const proceeded = resumes.filter((r) => r.status === "fulfilled");
    assert.equal(proceeded.length, 1, "exactly one resume proceeds");
    for (const r of resumes)
      if (r.status === "rejected")
        assert.ok(isCairnError(r.reason, "CONFLICT"), `refused with CONFLICT: ${r.reason}`);

    const all = [...orphaned, "failed-run"];
    await until(
      async () =>
        (await Promise.all(all.map((id) => setup.getRun(id)))).every((r) => r?.status === "succeeded"),
      "every run to succeed",
      60_000,
      100,
    );
    for (const id of orphaned) {
      const steps = await setup.getSteps(id);
      for (const step of steps.filter((s) => s.stepId !== "join")) {
        assert.equal(step.recoveries, 1, `${id}/${step.stepId} recovered once`);
        assert.equal(step.leaseEpoch, 2, `${id}/${step.stepId} claimed once more after the recovery`);
      }
      const events = await setup.readEvents({ runId: id });
      assert.equal(events.filter((e) => e.type === "step.recovered").length, 4);
      assert.equal(events.filter((e) => e.type === "step.succeeded").length, 5);
    }
    assert.equal(executions.length, new Set(executions).size, "no step executed twice");
    assert.equal(
      executions.length,
      ORPHANED_RUNS * 5 + 2,
      "every orphaned step and join ran, and p0 and the join of the resumed run",
    );
    const history = await setup.listRunAttempts("failed-run");
    assert.deepEqual(
      history.map((a) => a.action),
      ["start", "resume"],
    );
    const resumed = (await setup.readEvents({ runId: "failed-run" })).filter((e) => e.type === "run.resumed");
    assert.equal(resumed.length, 1);
  };
  try {
    await live.register(reaped);
    await reapAndResume();
  } finally {
    await live.close(); // here, not in t.after: it must close before its store does
  }
});

function newRun(runId: string, wf: ReturnType<typeof loadWorkflow>) {
  return {
    runId,
    workflow: wf,
    input: {},
    tenant: "default",
    workdir: "/tmp/cairn-reapers",
    origin: "start" as const,
    parent: null,
    driverId: null,
    trigger: "test",
    actor: null,
  };
}

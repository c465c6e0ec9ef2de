import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { spawnNode } from "../helpers/child.js";
import { snapshot } from "../helpers/snapshot.js";
import { readLines, tempDir } from "../helpers/temp.js";

/**
 * SIGKILL torture: a ~50-step workflow runs in a child process killed at a random moment; a fresh
 * process resumes it (half the trials by `resume`, half by automatic recovery on open). After every
 * trial: steps recorded before the kill ran exactly once, steps in flight at most twice, recorded
 * memos never ran again, checkpointed items before the recorded checkpoint never ran again, the
 * final outputs equal an uninterrupted run's, and the store passes its integrity check.
 * TORTURE_TRIALS sets the number of trials (default 20; `npm run test:long` runs 500).
 */
const TRIALS = Number(process.env.TORTURE_TRIALS ?? 20);
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/torture-child.mjs");
const RUN_ID = "torture-run";

interface Trial {
  dir: string;
  db: string;
  ledger: string;
}

function newTrial(root: string, n: number): Trial {
  const dir = path.join(root, `t${n}`);
  fs.mkdirSync(dir);
  return { dir, db: path.join(dir, "cairn.db"), ledger: path.join(dir, "ledger.txt") };
}

function counts(ledger: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of readLines(ledger)) map.set(line, (map.get(line) ?? 0) + 1);
  return map;
}

/** Drive the run in a child; with `killAfterMs`, SIGKILL it that long after the run started. Returns the run's duration. */
async function drive(
  trial: Trial,
  mode: "start" | "resume" | "recover",
  killAfterMs?: number,
): Promise<number> {
  const child = spawnNode(CHILD, [trial.db, mode, RUN_ID], { LEDGER: trial.ledger });
  await child.line(/^started$/, 60_000);
  const startedAt = Date.now();
  if (killAfterMs === undefined) {
    await child.line(/^done succeeded$/, 60_000);
    await child.exited;
    return Date.now() - startedAt;
  }
  const timer = setTimeout(() => child.child.kill("SIGKILL"), killAfterMs);
  await child.exited;
  clearTimeout(timer);
  return Date.now() - startedAt;
}

test(`SIGKILL torture: ${TRIALS} trials of kill at a random moment, then resume in a fresh process`, {
  timeout: 30 * 60_000,
}, async () => {
  const root = tempDir("cairn-torture-");
  // The golden run: uninterrupted, timed from process spawn.
  const golden = newTrial(root, 0);
  const referenceMs = await drive(golden, "start");
  const goldenSnap = snapshot(golden.db, RUN_ID);
  assert.equal(goldenSnap.runStatus, "succeeded");
  const stepIds = [...goldenSnap.steps.keys()];
  assert.ok(stepIds.length >= 45, `the workflow has ${stepIds.length} steps`);

  const totals = {
    trials: 0,
    killedMidRun: 0,
    recordedBeforeKill: 0,
    inFlightReexecuted: 0,
    memosKept: 0,
    viaResume: 0,
    viaRecovery: 0,
  };
  for (let n = 1; n <= TRIALS; n++) {
    const trial = newTrial(root, n);
    const killAt = Math.floor(Math.random() * referenceMs * 1.2);
    await drive(trial, "start", killAt);
    const before = snapshot(trial.db, RUN_ID);
    assert.equal(before.integrity, "ok", `trial ${n}: integrity after kill`);
    const recorded = [...before.steps].filter(([, s]) => s.status === "succeeded");
    for (const [id, step] of recorded)
      assert.deepEqual(
        step.output,
        goldenSnap.steps.get(id)!.output,
        `trial ${n}: ${id} recorded with the wrong output`,
      );
    const effectsBefore = counts(trial.ledger);
    if (before.runStatus === "running") totals.killedMidRun++;

    const mode = n % 2 === 0 ? "resume" : "recover";
    if (mode === "resume") totals.viaResume++;
    else totals.viaRecovery++;
    await drive(trial, mode);

    const after = snapshot(trial.db, RUN_ID);
    assert.equal(after.integrity, "ok", `trial ${n}: integrity at the end`);
    assert.equal(after.runStatus, "succeeded", `trial ${n}: the run succeeded`);
    const effects = counts(trial.ledger);
    for (const id of stepIds) {
      assert.deepEqual(
        after.steps.get(id)?.output,
        goldenSnap.steps.get(id)!.output,
        `trial ${n}: output of ${id}`,
      );
      const ran = effects.get(`effect ${id}`) ?? 0;
      if (before.steps.get(id)?.status === "succeeded") {
        assert.equal(ran, 1, `trial ${n}: ${id} was recorded before the kill but ran ${ran} times`);
        totals.recordedBeforeKill++;
      } else {
        assert.ok(
          ran >= 1 && ran <= 2,
          `trial ${n}: ${id} ran ${ran} times (in flight at the kill: at most twice)`,
        );
        if (ran === 2) totals.inFlightReexecuted++;
      }
    }
    for (const memo of before.memos) {
      assert.equal(effects.get(`memo ${memo}`), 1, `trial ${n}: memo ${memo} was recorded but ran again`);
      totals.memosKept++;
    }
    for (const [id, step] of before.steps) {
      const next = (step.checkpoint as { next?: number } | null)?.next ?? 0;
      for (let item = 0; item < next; item++)
        assert.equal(
          effects.get(`item ${id}:${item}`),
          1,
          `trial ${n}: item ${item} of ${id} was checkpointed but processed again`,
        );
    }
    assert.ok((effectsBefore.get("effect seed") ?? 0) <= 1);
    totals.trials++;
    fs.rmSync(trial.dir, { recursive: true, force: true });
  }
  console.log(
    `torture totals: ${JSON.stringify(totals)} (uninterrupted run ${referenceMs}ms, ${stepIds.length} steps)`,
  );
  assert.equal(totals.trials, TRIALS);
  assert.ok(totals.killedMidRun > 0, "some kills landed mid-run");
});

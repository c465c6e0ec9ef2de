import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { spawnNode } from "./helpers/child.js";
import { snapshot } from "./helpers/snapshot.js";
import { tempDir } from "./helpers/temp.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/chain-child.mjs");
const KILLS = 12;

for (const durability of ["full", "normal"] as const) {
  test(`SIGKILL at ${KILLS} points of a 40-step run (durability ${durability}): every recorded step has its output, integrity_check passes`, async () => {
    const dir = tempDir();
    const db = path.join(dir, "cairn.db");
    // Time one uninterrupted run to spread the kill points over it.
    const probe = spawnNode(CHILD, [path.join(dir, "probe.db"), durability, "probe"]);
    await probe.line(/^started$/);
    const t0 = Date.now();
    await probe.line(/^done succeeded$/);
    const durationMs = Math.max(20, Date.now() - t0);

    let previousDone = 0;
    for (let k = 0; k < KILLS; k++) {
      const child = spawnNode(CHILD, [db, durability, "victim"]);
      await child.line(/^started$/);
      setTimeout(() => child.child.kill("SIGKILL"), Math.floor((durationMs * (k + 1)) / (KILLS + 1) / 2));
      await child.exited;
      const snap = snapshot(db, "victim");
      assert.equal(snap.integrity, "ok", `kill ${k}: integrity_check`);
      const done = [...snap.steps.values()].filter((s) => s.status === "succeeded");
      for (const [id, step] of snap.steps)
        if (step.status === "succeeded") {
          const output = step.output as { i: number; prev: number; pad: string };
          assert.equal(`s${output.i}`, id, `kill ${k}: ${id} is succeeded with its own output`);
          assert.equal(output.prev, output.i - 1);
          assert.equal(output.pad.length, 1024);
        } else assert.equal(step.output, null, `kill ${k}: ${id} is ${step.status} but has an output`);
      assert.ok(done.length >= previousDone, "recorded steps are never lost");
      previousDone = done.length;
    }
    const finish = spawnNode(CHILD, [db, durability, "victim"]);
    await finish.line(/^done succeeded$/);
    await finish.exited;
    const end = snapshot(db, "victim");
    assert.equal(end.integrity, "ok");
    assert.equal([...end.steps.values()].filter((s) => s.status === "succeeded").length, 40);
  });
}

import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, loadOneWorkflow } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { tempDir } from "./helpers/temp.js";

const WORKFLOW = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/fails-until-fixed.yaml");

test("20 resume commands on one run from separate processes: exactly one proceeds, the others are refused", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const env = { FIXED: path.join(dir, "never-created") };
  Object.assign(process.env, env);
  const cairn = await Cairn.open({ db });
  const failed = await (
    await cairn.start(await loadOneWorkflow(WORKFLOW), {}, { runId: "contended" })
  ).result();
  assert.equal(failed.status, "failed");
  await cairn.close();

  // --detach: the winner only flips the run back to running (for a worker), so it stays live for the losers.
  const results = await Promise.all(
    Array.from({ length: 20 }, () =>
      cli(["resume", "contended", "--detach", "--db", db], { cwd: dir, env, timeoutMs: 60_000 }),
    ),
  );
  const winners = results.filter((r) => r.code === 0);
  const refused = results.filter((r) => r.code === 3);
  assert.equal(winners.length, 1, results.map((r) => `${r.code} ${r.stderr}`).join("\n"));
  assert.equal(refused.length, 19, results.map((r) => `${r.code} ${r.stderr}`).join("\n"));
  for (const r of refused)
    assert.match(
      r.stderr,
      /^cairn: Run "contended" (is still running|was resumed or changed by another request)/,
    );

  const check = await Cairn.open({ db, execute: false });
  const history = await check.history("contended");
  assert.deepEqual(
    history.map((h) => h.action),
    ["start", "resume"],
    "one resume was recorded",
  );
  assert.equal((await storeOf(check).getRun("contended"))!.attempt, 2);
  await check.close();
});

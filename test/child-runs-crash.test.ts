import assert from "node:assert/strict";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Cairn } from "../src/index.js";
import { spawnNode } from "./helpers/child.js";
import { pgTestDb } from "./helpers/pg.js";
import { readLines, tempDir, until } from "./helpers/temp.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

const stores: Array<[string, (t: TestContext) => Promise<string | null>]> = [
  ["sqlite", async () => path.join(tempDir(), "cairn.db")],
  ["postgres", async (t) => (await pgTestDb(t))?.url ?? null],
];

// Run directories go under a temp dir (a PostgreSQL store puts them under ./.cairn).
process.chdir(tempDir());

/**
 * Start a release run in a process, SIGKILL it while the caller's step awaits child run `childId`
 * (whose step hangs), then finish both in this process. Returns the children and the ledger.
 */
async function killWhileAwaiting(db: string, runId: string, childId: string, env: Record<string, string>) {
  const ledger = path.join(tempDir(), "ledger");
  const proc = spawnNode(path.join(FIXTURES, "child-run-process.mjs"), [db, runId], {
    LEDGER: ledger,
    HANG: "1",
    ...env,
  });
  await proc.line(/^started$/);
  const observer = await Cairn.open({ db, execute: false, recover: false });
  try {
    // The caller's step is parked on the child; the child's step is running (hanging) in the process.
    await until(async () => {
      const caller = (await observer.get(runId))?.steps[0];
      const child = (await observer.get(childId))?.steps[0];
      return (
        caller?.wait?.kind === "child" &&
        caller.wait.runId === childId &&
        child?.status === "running" &&
        // The ledger line is written before the memo commits; a kill between them rightly runs it again.
        (await observer.memos(childId, "compile")).some((m) => m.key === "compile")
      );
    }, "the caller to park on its running child");
  } finally {
    await observer.close();
  }
  proc.child.kill("SIGKILL");
  await proc.exited;

  process.env.LEDGER = ledger;
  const { build, release } = (await import(path.join(FIXTURES, "child-run-workflows.mjs"))) as Record<
    string,
    Parameters<Cairn["register"]>[0]
  >;
  const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
  try {
    await cairn.register(build!); // recovers the child: its driving process is gone
    await cairn.register(release!);
    const run = await cairn.wait(runId);
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.deepEqual(run.output, { shipped: 42 });
    const children = (await cairn.runsCalledBy(runId)).map((r) => [r.id, r.status]);
    return { children, ledger: readLines(ledger) };
  } finally {
    await cairn.close({ abort: true });
    delete process.env.LEDGER;
  }
}

for (const [kind, open] of stores) {
  test(`${kind}: SIGKILL while a step awaits its child run: another process finishes both, starting nothing twice`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const { children, ledger } = await killWhileAwaiting(db, "r-kill", "r-kill.ship.1", {});
    assert.deepEqual(children, [["r-kill.ship.1", "succeeded"]], "one child run, started once");
    assert.deepEqual(ledger, ["prepared", "compiled 21"], "nothing prepared or compiled twice");
  });

  test(`${kind}: SIGKILL while a retry awaits the child it started in place of a failed one: that child is finished, no third`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const { children, ledger } = await killWhileAwaiting(db, "r-again", "r-again.ship.1.a2", {
      FAIL_FIRST: "1",
    });
    assert.deepEqual(children, [
      ["r-again.ship.1", "failed"],
      ["r-again.ship.1.a2", "succeeded"],
    ]);
    assert.deepEqual(ledger, ["prepared", "build failed", "compiled 21"], "nothing done twice");
  });
}

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

for (const [kind, open] of stores) {
  test(`${kind}: SIGKILL while a step awaits its child run: another process finishes both, starting nothing twice`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const ledger = path.join(tempDir(), "ledger");
    const proc = spawnNode(path.join(FIXTURES, "child-run-process.mjs"), [db, "r-kill"], {
      LEDGER: ledger,
      HANG: "1",
    });
    await proc.line(/^started$/);
    const observer = await Cairn.open({ db, execute: false, recover: false });
    try {
      // The caller's step is parked on the child; the child's step is running (hanging) in the process.
      await until(async () => {
        const caller = (await observer.get("r-kill"))?.steps[0];
        const child = (await observer.get("r-kill.ship.1"))?.steps[0];
        return (
          caller?.wait?.kind === "child" && child?.status === "running" && readLines(ledger).length === 2
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
      const run = await cairn.wait("r-kill");
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      assert.deepEqual(run.output, { shipped: 42 });
      assert.deepEqual(
        (await cairn.runsCalledBy("r-kill")).map((r) => [r.id, r.status]),
        [["r-kill.ship.1", "succeeded"]],
        "one child run, started once",
      );
      assert.deepEqual(readLines(ledger), ["prepared", "compiled 21"], "nothing prepared or compiled twice");
    } finally {
      await cairn.close({ abort: true });
      delete process.env.LEDGER;
    }
  });
}

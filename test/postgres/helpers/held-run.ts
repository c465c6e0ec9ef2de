import fs from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { Cairn, loadOneWorkflow } from "../../../src/index.js";
import type { PostgresStore } from "../../../src/store/postgres/postgres-store.js";
import type { PgTestDb } from "../../helpers/pg.js";
import { tempDir } from "../../helpers/temp.js";
import { startWorkers, type WorkerProcess } from "../../helpers/workers.js";

const HOLD = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "hold.mjs");

export interface HeldRun {
  readonly id: string;
  readonly workers: WorkerProcess[];
  readonly store: PostgresStore;
  /** The fixture's side-effect ledger: `<run> <step> start|done <pid>` lines. */
  readonly ledger: string;
  /** While this file exists, the `held` step waits; remove it to let the step finish. */
  readonly hold: string;
}

/**
 * `count` worker processes (short leases, so a dead or frozen one is noticed within seconds) and a run
 * of the `hold` fixture started by a client that executes nothing: its middle step `held` waits in
 * whichever worker claimed it until the test removes `hold`.
 */
export async function startHeldRun(t: TestContext, db: PgTestDb, count: number): Promise<HeldRun> {
  const dir = tempDir();
  process.chdir(dir);
  const ledger = path.join(dir, "ledger.txt");
  const hold = path.join(dir, "hold");
  fs.writeFileSync(hold, "");
  const workers = await startWorkers(t, count, {
    db: db.url,
    workflows: [HOLD],
    env: { CAIRN_TEST_LEDGER: ledger, CAIRN_TEST_HOLD: hold },
    leaseMs: 1500,
    heartbeatMs: 300,
  });
  const store = await db.open();
  const client = await Cairn.open({ db: store, execute: false });
  t.after(() => client.close());
  const { id } = await client.start(await loadOneWorkflow(HOLD), {}, { detach: true });
  return { id, workers, store, ledger, hold };
}

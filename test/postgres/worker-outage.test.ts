// A `cairn worker` rides through lost database sessions and a database restart, idle or busy, and
// then executes the next run. Runs on a private cluster: terminating every Cairn session or restarting
// the shared server would break the other test files running meanwhile.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Cairn, loadOneWorkflow } from "../../src/index.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { jsonLogLines } from "../helpers/logs.js";
import { privateCluster } from "../helpers/private-pg.js";
import { readLines, tempDir, until } from "../helpers/temp.js";
import { startWorkers } from "../helpers/workers.js";

const HOLD = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "hold.mjs");

test("a worker survives terminated sessions and database restarts, idle or busy, and runs the next run", async (t) => {
  const cluster = await privateCluster(t);
  if (!cluster) return;
  const dir = tempDir();
  process.chdir(dir);
  const ledger = path.join(dir, "ledger.txt");
  const hold = path.join(dir, "hold");
  const [worker] = await startWorkers(t, 1, {
    db: cluster.url,
    workflows: [HOLD],
    env: { CAIRN_TEST_LEDGER: ledger, CAIRN_TEST_HOLD: hold, CAIRN_LOG_LEVEL: "info" },
    leaseMs: 30_000,
  });
  const store = await PostgresStore.open(cluster.url);
  t.after(() => store.close());
  const client = await Cairn.open({ db: store, execute: false });
  t.after(() => client.close());
  const workflow = await loadOneWorkflow(HOLD);

  const alive = () => worker!.child.exitCode === null && worker!.child.signalCode === null;
  const terminateSessions = async () => {
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    const { rows } = await admin.query(
      "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'cairn'",
    );
    await admin.end();
    assert.ok(rows.length >= 2, "the worker's pool and LISTEN sessions were terminated");
  };
  /** A run started now completes on the worker (which must still be there). */
  const runToCompletion = async (what: string, disrupt?: () => Promise<void>) => {
    if (disrupt) fs.writeFileSync(hold, "");
    const { id } = await client.start(workflow, {}, { detach: true });
    if (disrupt) {
      await until(
        () => readLines(ledger).includes(`${id} held start ${worker!.pid}`),
        `${what}: held`,
        30_000,
      );
      await disrupt();
      fs.rmSync(hold);
    }
    await until(
      async () => {
        assert.ok(alive(), `${what}: the worker exited\n${worker!.stdout()}`);
        return (await store.getRun(id))?.status === "succeeded";
      },
      `${what}: the run to succeed on the worker`,
      30_000,
      100,
    );
    assert.ok(alive(), `${what}: the worker is still running\n${worker!.stdout()}`);
  };

  await runToCompletion("before any outage");

  // Idle: the worker holds only idle pool connections and its LISTEN connection.
  await terminateSessions();
  await runToCompletion("after terminated idle sessions");

  // Busy: a step is in flight when its sessions go.
  await runToCompletion("with sessions terminated mid-step", terminateSessions);

  // Idle through a fast restart, then an immediate (crash) restart.
  for (const mode of ["fast", "immediate"] as const) {
    await cluster.stop(mode);
    await cluster.start();
    await runToCompletion(`after a ${mode} restart while idle`);
  }

  // Busy through a restart.
  await runToCompletion("with a restart mid-step", async () => {
    await cluster.stop("immediate");
    await cluster.start();
  });

  assert.equal((await worker!.stop()).code, 0, `the worker stopped cleanly\n${worker!.stdout()}`);

  // It said so: JSON lines on stderr (not a terminal), one per outage start and end, with its length.
  const logs = jsonLogLines(worker!.stderr());
  assert.ok(logs.some((l) => l.msg === "worker ready" && l.workerId === worker!.id));
  const lost = logs.filter((l) => l.msg.startsWith("database unreachable"));
  const back = logs.filter((l) => l.msg.startsWith("database reachable again"));
  // Every outage above (two session kills, three restarts) drops the LISTEN connection at least.
  assert.ok(lost.length >= 5 && lost.every((l) => l.level === 40), worker!.stderr());
  assert.ok(back.length >= 5 && back.every((l) => l.level === 30 && typeof l.outageMs === "number"));
  assert.match(
    String(lost[0]!.database),
    /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(schema cairn\)$/,
  );
});

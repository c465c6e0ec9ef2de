// A connection lost during COMMIT, with a database crash before the outcome is read back: the outcome
// is decided by the transaction's own random commit token, never by values PostgreSQL may hand out
// again after a crash (sequence numbers, transaction ids). Runs on a private cluster (it is restarted).
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { toDefinition } from "../../src/core/builder.js";
import { insertRun } from "../../src/engine/create-run.js";
import { loadWorkflow } from "../../src/engine/registry.js";
import { workflow } from "../../src/index.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import { pgProxy } from "../helpers/pg-proxy.js";
import { privateCluster } from "../helpers/private-pg.js";
import { until } from "../helpers/temp.js";

const wf = loadWorkflow(toDefinition(workflow("commit-outcome").step("a", { needs: [] }, async () => 1)));

test("a COMMIT lost in a crash whose event numbers were handed out again is judged aborted and runs again", async (t) => {
  const cluster = await privateCluster(t);
  if (!cluster) return;
  const proxy = await pgProxy(t, cluster.url);
  const store = await PostgresStore.open(proxy.url, { schema: "outage" });
  t.after(() => store.close());

  let calls = 0;
  proxy.failNextCommit("hold-commit");
  const created = store.transaction(async (tx) => {
    calls++;
    return (
      await insertRun(tx, {
        runId: "r1",
        workflow: wf,
        input: {},
        tenant: "default",
        workdir: "/tmp/cairn-commit-outcome",
        origin: "start",
        parent: null,
        driverId: null,
        trigger: "test",
        actor: null,
      })
    ).created;
  });
  await until(() => proxy.faulted, "the COMMIT to be held");

  // The server crashes before the COMMIT reaches it: the transaction is lost. After the restart its
  // event numbers belong to other transactions' events (a crash can reuse sequence values).
  await cluster.stop("immediate");
  await cluster.start();
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(
    `INSERT INTO outage.events (seq, run_id, tenant, step_id, type, at, data) OVERRIDING SYSTEM VALUE
     SELECT g, 'someone-else', 'default', NULL, 'run.created', 0, NULL FROM generate_series(1, 1000) g`,
  );
  await admin.query("SELECT setval(pg_get_serial_sequence('outage.events', 'seq'), 1000)");
  proxy.dropHeld();

  assert.equal(await created, true);
  assert.equal(calls, 2, "the lost transaction was judged aborted and ran again");
  assert.equal((await store.getRun("r1"))?.status, "running", "the run exists");
  assert.deepEqual(
    (await store.readEvents({ runId: "r1" })).map((e) => e.type),
    ["run.created"],
  );
  const { rows } = await admin.query("SELECT count(*)::int AS n FROM outage.commit_tokens");
  assert.ok(rows[0].n >= 1, "write transactions leave their commit token");
  await admin.end();

  // A database down for longer than the store retries: one STORE error naming it (the API's 503).
  const brief = await PostgresStore.open(cluster.url, { schema: "outage", reconnectMs: 300 });
  t.after(() => brief.close());
  await cluster.stop("fast");
  await assert.rejects(brief.getRun("r1"), (error: Error & { code?: string }) => {
    assert.equal(error.code, "STORE");
    assert.match(
      error.message,
      /^The database at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(schema outage\) is unreachable \(.+\); gave up after retrying for 300 ms\.$/,
    );
    return true;
  });
});

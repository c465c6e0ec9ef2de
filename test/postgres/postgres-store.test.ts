// What only the PostgreSQL store has to get right: lost connections (during COMMIT, while idle, under
// LISTEN), migrations raced by several processes, notifications, and opening it from a URL.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import pg from "pg";
import { toDefinition } from "../../src/core/builder.js";
import { insertRun } from "../../src/engine/create-run.js";
import { loadWorkflow } from "../../src/engine/registry.js";
import { claimSteps } from "../../src/engine/transitions.js";
import { workflow } from "../../src/index.js";
import { openStore } from "../../src/store/open-store.js";
import { COMMIT_TOKEN_RETENTION_MS, deleteOldCommitTokens } from "../../src/store/postgres/connection.js";
import { PG_MIGRATIONS } from "../../src/store/postgres/migrations.js";
import type { Queryable } from "../../src/store/postgres/pg-sql.js";
import { PostgresStore } from "../../src/store/postgres/postgres-store.js";
import type { PostgresTx } from "../../src/store/postgres/postgres-tx.js";
import { type ListenClient, WorkListener } from "../../src/store/postgres/work-listener.js";
import type { TokenRecord } from "../../src/store/store.js";
import { PG_URL, pgTestDb } from "../helpers/pg.js";
import { pgProxy } from "../helpers/pg-proxy.js";
import { until } from "../helpers/temp.js";

const wf = loadWorkflow(toDefinition(workflow("pg-only").step("a", { needs: [] }, async () => 1)));
const newRun = (runId: string) => ({
  runId,
  workflow: wf,
  input: {},
  tenant: "default",
  workdir: "/tmp/cairn-pg-only",
  origin: "start" as const,
  parent: null,
  driverId: null,
  trigger: "test",
  actor: null,
});
const token: TokenRecord = {
  id: "t1",
  tenant: "default",
  name: null,
  hash: "ab".repeat(32),
  readOnly: false,
  createdAt: 1,
  revokedAt: null,
};

test("connection lost after the server committed: the outcome is read back and nothing runs twice", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const proxy = await pgProxy(t, PG_URL);
  const store = await PostgresStore.open(proxy.url, { schema: db.schema });
  t.after(() => store.close());

  let calls = 0;
  proxy.failNextCommit("drop-after-commit");
  const created = await store.transaction(async (tx) => {
    calls++;
    return (await insertRun(tx, newRun("r1"))).created;
  });
  assert.ok(proxy.faulted, "the answer to COMMIT was lost");
  assert.equal(calls, 1, "the transaction was not run a second time");
  assert.equal(created, true);
  assert.equal(store.stats.commits, 1);
  assert.deepEqual(
    (await store.readEvents({ runId: "r1" })).map((e) => e.type),
    ["run.created"],
  );

  // A transaction without events: running it again would fail on the token's unique hash.
  calls = 0;
  proxy.failNextCommit("drop-after-commit");
  await store.transaction(async (tx) => {
    calls++;
    await (tx as PostgresTx).insertToken(token);
  });
  assert.ok(proxy.faulted);
  assert.equal(calls, 1);
  assert.deepEqual(await store.findTokenByHash(token.hash), token);
});

test("connection lost before COMMIT reached the server: the transaction runs again, and commits once", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const proxy = await pgProxy(t, PG_URL);
  const store = await PostgresStore.open(proxy.url, { schema: db.schema });
  t.after(() => store.close());
  let calls = 0;
  proxy.failNextCommit("drop-before-commit");
  const created = await store.transaction(async (tx) => {
    calls++;
    return (await insertRun(tx, newRun("r1"))).created;
  });
  assert.ok(proxy.faulted);
  assert.equal(calls, 2, "the lost transaction was rolled back by the server and run again");
  assert.equal(created, true);
  assert.equal((await store.getRun("r1"))?.id, "r1");
  assert.equal((await store.readEvents({ runId: "r1" })).length, 1);
});

test("idle connections that die do not crash the process; the next call reconnects", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const proxy = await pgProxy(t, PG_URL);
  const store = await PostgresStore.open(proxy.url, { schema: db.schema, poolSize: 4 });
  t.after(() => store.close());
  await Promise.all([1, 2, 3].map((i) => store.transaction((tx) => insertRun(tx, newRun(`r${i}`)))));
  proxy.cutAll(); // every pooled connection is now dead; an unhandled 'error' event would end this process
  await new Promise((resolve) => setImmediate(resolve));
  await store.transaction((tx) => insertRun(tx, newRun("after")));
  assert.deepEqual((await store.listRuns({})).map((r) => r.id).sort(), ["after", "r1", "r2", "r3"]);
});

test("a transaction that makes steps ready notifies, at commit, naming its schema; other writes do not", async (t) => {
  const db = await pgTestDb(t);
  const other = await pgTestDb(t);
  if (!db || !other) return;
  const writer = await db.open();
  const stranger = await other.open();
  const raw = new pg.Client({ connectionString: PG_URL });
  raw.on("error", () => undefined);
  await raw.connect();
  t.after(() => raw.end());
  const payloads: string[] = [];
  raw.on("notification", (m) => {
    // Other test files share the server and the channel: keep only this test's two schemas.
    if (m.payload === db.schema || m.payload === other.schema) payloads.push(m.payload);
  });
  await raw.query("LISTEN cairn_work");

  await writer.transaction((tx) =>
    tx.upsertWorkflow({ id: "w", fingerprint: "f", graph: {}, source: null, updatedAt: 1 }),
  );
  // A step made ready and claimed in the same transaction is nobody else's work: no notification.
  await writer.transaction(async (tx) => {
    await insertRun(tx, newRun("self-claimed"));
    assert.equal(
      (await claimSteps(tx, { workerId: "w1", limit: 5, runIds: ["self-claimed"] }, 60_000)).length,
      1,
    );
  });
  await stranger.transaction((tx) => insertRun(tx, newRun("elsewhere")));
  await assert.rejects(
    writer.transaction(async (tx) => {
      await insertRun(tx, newRun("rolled-back"));
      throw new Error("no commit, no notification");
    }),
  );
  await writer.transaction((tx) => insertRun(tx, newRun("ready-1")));
  await until(() => payloads.includes(db.schema), "the notification of the ready step");
  // Delivered in commit order: everything before it has arrived too.
  assert.deepEqual(payloads, [other.schema, db.schema]);
});

test("onWork wakes a store in another process; after its connection drops, LISTEN comes back", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const proxy = await pgProxy(t, PG_URL);
  const listening = await PostgresStore.open(proxy.url, { schema: db.schema });
  t.after(() => listening.close());
  const writer = await db.open();
  let wakes = 0;
  t.after(listening.onWork(() => wakes++));
  // LISTEN is in place once a notification gets through; write until one does.
  let n = 0;
  const wokenByWrites = async (what: string) => {
    const before = wakes;
    await until(
      async () => {
        await writer.transaction((tx) => insertRun(tx, newRun(`run-${n++}`)));
        return wakes > before;
      },
      what,
      10_000,
      100,
    );
  };
  await wokenByWrites("the first notification");
  const before = wakes;
  proxy.cutAll();
  // After reconnecting, the listener wakes its subscribers once (notifications sent meanwhile are lost)…
  await until(() => wakes > before, "the listener to reconnect", 10_000);
  // …and notifications arrive again.
  await wokenByWrites("a notification after the reconnect");
});

test("the work listener ignores other schemas and reconnects with backoff after a lost connection", async () => {
  const clients: FakeListenClient[] = [];
  const listener = new WorkListener(
    () => {
      const client = new FakeListenClient();
      clients.push(client);
      return client;
    },
    "cairn_work",
    "mine",
  );
  let wakes = 0;
  const unsubscribe = listener.subscribe(() => wakes++);
  await until(() => clients[0]?.listening, "LISTEN");
  clients[0]!.emit("notification", { channel: "cairn_work", payload: "theirs" });
  clients[0]!.emit("notification", { channel: "other", payload: "mine" });
  assert.equal(wakes, 0);
  clients[0]!.emit("notification", { channel: "cairn_work", payload: "mine" });
  assert.equal(wakes, 1);
  clients[0]!.emit("error", new Error("Connection terminated unexpectedly"));
  await until(() => clients[1]?.listening, "a new connection after the loss");
  assert.equal(wakes, 2, "subscribers are woken once after reconnecting");
  clients[1]!.emit("notification", { channel: "cairn_work", payload: "mine" });
  assert.equal(wakes, 3);
  unsubscribe();
  assert.ok(clients[1]!.ended, "the last subscriber gone, the connection is closed");
  listener.close();
});

class FakeListenClient extends EventEmitter implements ListenClient {
  listening = false;
  ended = false;
  async connect(): Promise<void> {}
  async query(text: string): Promise<void> {
    if (text.startsWith("LISTEN")) this.listening = true;
  }
  async end(): Promise<void> {
    this.ended = true;
  }
}

test("six processes opening a new schema at once: migrations run once, all of them open it", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const stores = await Promise.all(Array.from({ length: 6 }, () => db.open()));
  assert.equal(stores.length, 6);
  assert.deepEqual(await db.sql("SELECT value FROM meta WHERE key = 'schema_version'"), [
    { value: String(PG_MIGRATIONS.length) },
  ]);
  await stores[0]!.transaction((tx) => insertRun(tx, newRun("shared")));
  assert.equal((await stores[5]!.getRun("shared"))?.id, "shared");
});

test("commit tokens: one per write transaction, none for a read-only one; those past retention are deleted", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const store = await db.open();
  const count = async () => Number((await db.sql("SELECT count(*)::int AS n FROM commit_tokens"))[0]!.n);
  await store.transaction((tx) => insertRun(tx, newRun("r1")));
  await store.transaction(async (tx) => tx.getRun("r1"));
  assert.equal(await count(), 1);
  await db.sql("UPDATE commit_tokens SET at = at - $1", [COMMIT_TOKEN_RETENTION_MS + 1000]);
  await store.transaction((tx) => (tx as PostgresTx).insertToken(token));
  const pool = new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${db.schema}` });
  t.after(() => pool.end());
  assert.equal(await deleteOldCommitTokens(pool as unknown as Queryable), 1);
  assert.equal(await count(), 1, "the recent token stays");
});

test("openStore opens PostgreSQL from a postgres:// URL, in the schema its ?schema= names", async (t) => {
  const db = await pgTestDb(t);
  if (!db) return;
  const store = await openStore(db.url);
  t.after(() => store.close());
  assert.equal(store.kind, "postgres");
  await store.transaction((tx) => insertRun(tx, newRun("via-url")));
  assert.deepEqual(await db.sql("SELECT id FROM runs"), [{ id: "via-url" }]);
  await assert.rejects(openStore("postgresql://127.0.0.1:1/none?schema=bad-name"), /Schema name "bad-name"/);
  await assert.rejects(
    openStore(`${db.url}&pool_size=0`),
    /pool_size in the PostgreSQL URL must be a positive/,
  );
  const small = await openStore(`${db.url}&pool_size=1`);
  t.after(() => small.close());
  // One connection: transactions queue for it instead of failing.
  await Promise.all([1, 2, 3].map((i) => small.transaction((tx) => insertRun(tx, newRun(`queued-${i}`)))));
  assert.equal((await db.sql("SELECT count(*)::int AS n FROM runs"))[0]?.n, 4);
  await assert.rejects(
    openStore("postgresql://postgres@127.0.0.1:1/none"),
    /Cannot open the store at postgresql:\/\/postgres@127\.0\.0\.1:1\/none/,
  );
});

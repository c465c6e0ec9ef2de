// GET /readyz: ready only while the store answers and is at this server's schema version.
import assert from "node:assert/strict";
import { test } from "node:test";
import Database from "better-sqlite3";
import { storeOf } from "../../src/engine/client-state.js";
import { assertErrorShape, startServer } from "./helpers.js";
import { quick } from "./workflows.js";

test("/readyz: 200 with the schema version; 503 when the store is behind, ahead, or unreachable", async () => {
  const s = await startServer({ workflows: [quick] });
  const ready = await s.api("/readyz");
  assert.equal(ready.status, 200);
  const { known } = await storeOf(s.cairn).schemaVersion();
  assert.deepEqual(ready.body, { status: "ready", schemaVersion: known });

  // Another process sets the recorded version back (as a store not yet migrated would be), then ahead.
  const other = new Database(s.db);
  const setVersion = (v: number) =>
    other.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(v));
  setVersion(known - 1);
  const behind = await s.api("/readyz");
  assertErrorShape(behind, 503, "STORE");
  assert.match(JSON.stringify(behind.body), /run `cairn migrate`/);
  setVersion(known + 1);
  assert.match(JSON.stringify((await s.api("/readyz")).body), /upgrade this server/);
  setVersion(known);
  assert.equal((await s.api("/readyz")).status, 200);
  other.close();

  await storeOf(s.cairn).close();
  assertErrorShape(await s.api("/readyz"), 503, "STORE");
  await s.close().catch(() => undefined); // closing writes to the (closed) store
});

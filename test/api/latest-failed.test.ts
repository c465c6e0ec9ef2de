import assert from "node:assert/strict";
import { after, test } from "node:test";
import { workflow } from "../../src/index.js";
import { startServer } from "./helpers.js";

const flags = { fail: true };
const healing = workflow("healing")
  .step("fetch", () => 1)
  .step("parse", () => {
    if (flags.fail) throw new Error("bad row 7");
    return 2;
  });

const s = await startServer({ workflows: [healing] });
after(() => s.close());

const latest = () => s.api("/api/workflows/healing/latest-failed", { token: s.tokens.acme });
async function start(): Promise<string> {
  const res = await s.api("/api/workflows/healing/runs", { token: s.tokens.acme, json: {} });
  await s.waitForStatus(res.body.id, ["succeeded", "failed"]);
  return res.body.id;
}

test("a failed run healed by a successful rerun is no longer offered as the latest failed run", async () => {
  flags.fail = true;
  const failed = await start();
  assert.equal((await latest()).body.run.id, failed);

  flags.fail = false;
  const rerun = await s.api(`/api/runs/${failed}/rerun`, { token: s.tokens.acme, json: { failed: true } });
  assert.equal(rerun.status, 201, rerun.text);
  assert.equal((await s.waitForStatus(rerun.body.id, ["succeeded", "failed"])).body.status, "succeeded");
  const none = await latest();
  assert.equal(none.status, 404, none.text);
  assert.match(none.body.error.message, /no failed run left to fix/);
  assert.equal((await s.cairn.latestFailed("healing")) ?? null, null, "the library (and the CLI) agree");
});

test("a failed rerun is healed when a resume of its lineage succeeds later; a new failure is offered", async () => {
  flags.fail = true;
  const first = await start();
  const rerun = await s.api(`/api/runs/${first}/rerun`, { token: s.tokens.acme, json: { failed: true } });
  await s.waitForStatus(rerun.body.id, ["failed"]);
  assert.equal((await latest()).body.run.id, rerun.body.id);

  flags.fail = false;
  await s.api(`/api/runs/${first}/resume`, { token: s.tokens.acme, json: {} });
  assert.equal((await s.waitForStatus(first, ["succeeded", "failed"])).body.status, "succeeded");
  assert.equal((await latest()).status, 404);

  flags.fail = true;
  const fresh = await start();
  assert.equal((await latest()).body.run.id, fresh);
});

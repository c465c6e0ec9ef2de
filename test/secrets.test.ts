import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { CairnError, loadOneWorkflow, workflow } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";

const SECRET = "sk-live-5f1e9c0d7a";

function storeBytes(dir: string): string {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith("cairn.db"))
    .map((f) => fs.readFileSync(path.join(dir, f)).toString("latin1"))
    .join("");
}

test("runtime secrets reach the steps but never the store, logs, events, outputs or errors", async () => {
  const { cairn, dir } = await openTemp();
  let failOnce = true;
  const wf = workflow("charge", { secrets: ["API_KEY"] }).step(
    "call",
    { retry: { attempts: 2, backoff: { initial: 1 } } },
    async ({ secrets, log, vars, checkpoint, memo }) => {
      log(`calling with key ${secrets.API_KEY}`);
      vars.set("auth", `Bearer ${secrets.API_KEY}`);
      await checkpoint({ token: secrets.API_KEY! }, { force: true });
      await memo("probe", () => ({ echoed: secrets.API_KEY }));
      if (failOnce) {
        failOnce = false;
        throw new Error(`401 for key ${secrets.API_KEY}`);
      }
      return { used: secrets.API_KEY, length: secrets.API_KEY!.length };
    },
  );
  await assert.rejects(cairn.start(wf, {}), (e: unknown) => {
    assert.ok(e instanceof CairnError && e.code === "INVALID_INPUT");
    assert.match(e.message, /needs the secret API_KEY/);
    return true;
  });
  assert.equal((await cairn.list({})).length, 0, "a refused start leaves no run behind");

  const handle = await cairn.start(wf, {}, { secrets: { API_KEY: SECRET } });
  const run = await handle.result();
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, { used: "***", length: SECRET.length });
  const logs = await cairn.logs(handle.id);
  assert.ok(logs.some((l) => l.line === "calling with key ***"));
  assert.ok(logs.some((l) => /401 for key \*\*\*/.test(l.line)));
  const everything = JSON.stringify([
    logs,
    await cairn.events(handle.id),
    await cairn.get(handle.id),
    await cairn.history(handle.id),
  ]);
  assert.ok(!everything.includes(SECRET), "the secret is in a record read back from the store");
  await cairn.close();
  assert.ok(!storeBytes(dir).includes(SECRET), "the secret's bytes are in the database file");
});

test("shell steps get secrets as environment variables; resuming without the declared secrets is refused", async () => {
  const { cairn, dir } = await openTemp();
  const file = path.join(dir, "deploy.yaml");
  fs.writeFileSync(
    file,
    `id: deploy
secrets: [DEPLOY_TOKEN]
steps:
  - id: push
    run: |
      echo "pushing with $DEPLOY_TOKEN"
      test -f "$GO" || { echo "remote rejected $DEPLOY_TOKEN" >&2; exit 3; }
`,
  );
  process.env.GO = path.join(dir, "go");
  const wf = await loadOneWorkflow(file);
  const handle = await cairn.start(wf, {}, { secrets: { DEPLOY_TOKEN: SECRET } });
  const failed = await handle.result();
  assert.equal(failed.status, "failed");
  assert.match(failed.error!.message, /exited with code 3: remote rejected \*\*\*/);
  await assert.rejects(cairn.resume(handle.id), /needs the secret DEPLOY_TOKEN to resume/);
  fs.writeFileSync(path.join(dir, "go"), "");
  const run = await (await cairn.resume(handle.id, { secrets: { DEPLOY_TOKEN: SECRET } })).result();
  assert.equal(run.status, "succeeded");
  const lines = (await cairn.logs(handle.id)).map((l) => l.line);
  assert.ok(lines.includes("pushing with ***"), JSON.stringify(lines));
  await cairn.close();
  assert.ok(!storeBytes(dir).includes(SECRET));
});

test("a resumed step finds the secrets given to the resume, however soon the executor looks for work", async () => {
  // The executor polls every millisecond: it may claim the resumed step the moment the resume commits.
  const { cairn } = await openTemp({ pollIntervalMs: 1 });
  let fail = true;
  const seen: string[] = [];
  const wf = workflow("keyed", { secrets: ["KEY"] }).step("use", async ({ secrets }) => {
    seen.push(secrets.KEY ?? "(none)");
    if (fail) throw new Error("not yet");
    return "ok";
  });
  for (let i = 0; i < 30; i++) {
    fail = true;
    const handle = await cairn.start(wf, {}, { secrets: { KEY: `first-key-${i}` } });
    assert.equal((await handle.result()).status, "failed");
    fail = false;
    const run = await (await cairn.resume(handle.id, { secrets: { KEY: `second-key-${i}` } })).result();
    assert.equal(run.status, "succeeded");
    assert.equal(seen.at(-1), `second-key-${i}`, `resume ${i}`);
  }
});

// The CLI and `cairn worker` with workflows stored as data: `cairn run <id>` starts the newest (or
// `--version`) stored version, a worker process with no workflow file executes it from the store, a
// worker without an action fails that run saying so and goes on working, restart and rerun take
// `--version`, and a bad version or tenant is one sentence with exit code 2.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { z } from "zod";
import { CairnClient, defineAction, type RunRecord } from "../src/index.js";
import { cli } from "./helpers/cli.js";
import { pgTestDb } from "./helpers/pg.js";
import { tempDir, until } from "./helpers/temp.js";
import { startWorkers } from "./helpers/workers.js";

const stores: Array<[string, (t: TestContext, dir: string) => Promise<string | null>]> = [
  ["sqlite", async (_t, dir) => path.join(dir, "cairn.db")],
  ["postgres", async (t) => (await pgTestDb(t))?.url ?? null],
];

const FETCH = `id: fetch
steps:
  - id: write
    uses: file.write
    with: { path: out.txt, content: "\${{ input.text }}" }
  - id: read
    uses: file.read
    needs: [write]
    with: { path: out.txt }
`;

const greet = defineAction({
  name: "greet",
  version: 1,
  params: z.strictObject({ name: z.string() }),
  handler: ({ name }) => `Hello, ${name}!`,
});

/** Push a definition from a file that is deleted afterwards: only the store has it. */
async function push(db: string, cwd: string, text: string): Promise<string> {
  const file = path.join(cwd, "fetch.yaml");
  fs.writeFileSync(file, text);
  const pushed = await cli(["--db", db, "workflows", "push", file, "--json"], { cwd });
  assert.equal(pushed.code, 0, pushed.stderr);
  fs.rmSync(file);
  return (JSON.parse(pushed.stdout) as { version: string }).version;
}

async function show(db: string, cwd: string, runId: string): Promise<RunRecord & { output: unknown }> {
  const shown = await cli(["--db", db, "show", runId, "--json"], { cwd });
  assert.equal(shown.code, 0, shown.stderr);
  return JSON.parse(shown.stdout) as RunRecord & { output: unknown };
}

for (const [kind, open] of stores) {
  test(`${kind}: a cairn worker with no workflow file executes a stored version; without an action it fails that run and goes on`, async (t) => {
    const cwd = tempDir();
    const db = await open(t, cwd);
    if (!db) return;
    const version = await push(db, cwd, FETCH);
    const started = await cli(
      ["--db", db, "run", "fetch", "--detach", "--json", "--input", '{"text":"from the store"}'],
      { cwd },
    );
    assert.equal(started.code, 0, started.stderr);
    const runId = (JSON.parse(started.stdout) as RunRecord).id;
    assert.equal((JSON.parse(started.stdout) as RunRecord).workflowVersion, version);

    // A library client that knows "greet" stores and starts a workflow the worker cannot run.
    const client = await CairnClient.open({ db, actions: [greet] });
    const hello = await client.storeWorkflow(
      "hello",
      "id: hello\nsteps:\n  - id: hi\n    uses: greet\n    with: { name: Ada }\n",
      { format: "yaml" },
    );
    const refused = await client.start("hello", {}, { detach: true });

    const [worker] = await startWorkers(t, 1, { db, workflows: [] });
    assert.match(worker!.stdout(), /no workflow files: stored workflows only/);
    try {
      const settled = async (id: string) => {
        const run = await client.run(id);
        return run && run.status !== "running" ? run : undefined;
      };
      const done = await until(() => settled(runId), "the worker to run the stored version", 30_000, 100);
      assert.equal(done.status, "succeeded", JSON.stringify(done.error));
      const view = await show(db, cwd, runId);
      assert.equal(view.workflowVersion, version);
      assert.equal(view.output, "from the store");

      const failed = await until(() => settled(refused.id), "the run the worker cannot execute", 30_000, 100);
      assert.equal(failed.status, "failed");
      assert.equal(
        failed.error?.message,
        `Step "hi" failed: Workflow "hello" version ${hello.version} cannot run in this process: it calls "greet", not registered here (register it with Cairn.open({ actions }) in every process that starts or executes its runs).`,
      );
      // The worker is still there and executes the next run.
      const again = await cli(["--db", db, "run", "fetch", "--detach", "--json", "--input", '{"text":"2"}'], {
        cwd,
      });
      const next = (JSON.parse(again.stdout) as RunRecord).id;
      assert.equal((await until(() => settled(next), "the next run", 30_000, 100)).status, "succeeded");
      assert.equal(worker!.child.exitCode, null);
    } finally {
      await client.close();
      assert.equal((await worker!.stop()).code, 0);
    }
  });
}

test("cairn run <id> --version, restart and rerun --version, show; a bad version or tenant is exit 2 in one sentence", async () => {
  const cwd = tempDir();
  const db = path.join(cwd, "cairn.db");
  const v1 = await push(db, cwd, FETCH);
  const ran = await cli(["--db", db, "run", "fetch", "--json", "--input", '{"text":"one"}'], { cwd });
  assert.equal(ran.code, 0, ran.stderr);
  const first = JSON.parse(ran.stdout) as RunRecord;
  assert.equal(first.workflowVersion, v1);
  const v2 = await push(db, cwd, FETCH.replace("path: out.txt }\n", "path: out.txt, format: text }\n"));
  assert.notEqual(v2, v1);

  const shown = await cli(["--db", db, "show", first.id], { cwd });
  assert.match(shown.stdout, new RegExp(`^workflow  fetch version ${v1} \\(stored\\)$`, "m"));

  const restarted = await cli(["--db", db, "restart", first.id, "--json"], { cwd });
  assert.equal(restarted.code, 0, restarted.stderr);
  assert.equal((JSON.parse(restarted.stdout) as RunRecord).workflowVersion, v2);
  const pinned = await cli(["--db", db, "restart", first.id, "--version", v1, "--json"], { cwd });
  assert.equal((JSON.parse(pinned.stdout) as RunRecord).workflowVersion, v1);

  // v2 changed "read": the rerun plan says so step by step; on v1 nothing changed.
  const plan = await cli(["--db", db, "rerun", first.id, "--from", "write", "--dry-run"], { cwd });
  assert.equal(plan.code, 3, "refused: a step changed");
  assert.match(plan.stdout, /read/);
  const planV1 = await cli(["--db", db, "rerun", first.id, "--from", "write", "--dry-run", "--version", v1], {
    cwd,
  });
  assert.equal(planV1.code, 0, planV1.stdout);
  const rerun = await cli(
    ["--db", db, "rerun", first.id, "--from", "write", "--on-change", "rerun", "--json"],
    {
      cwd,
    },
  );
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal((JSON.parse(rerun.stdout) as RunRecord).workflowVersion, v2);

  const bad = await cli(["--db", db, "run", "fetch", "--version", "0000000000000000"], { cwd });
  assert.equal(bad.code, 2);
  assert.equal(
    bad.stderr,
    'cairn: Workflow "fetch" has no stored version "0000000000000000" (cairn workflows versions fetch lists them).\n',
  );
  const otherTenant = await cli(["--db", db, "run", "fetch", "--tenant", "acme"], { cwd });
  assert.equal(otherTenant.code, 2);
  assert.equal(
    otherTenant.stderr,
    `cairn: There is no workflow file ${path.join(fs.realpathSync(cwd), "fetch")}, and tenant "acme" stored no workflow "fetch" (cairn workflows push stores one).\n`,
  );
  const fileVersion = await cli(["--db", db, "run", "flows/etl.yaml", "--version", v1], { cwd });
  assert.equal(fileVersion.code, 2);
  assert.equal(
    fileVersion.stderr,
    "cairn: --version names a stored version of a workflow pushed with cairn workflows push, not of a file (flows/etl.yaml).\n",
  );
});

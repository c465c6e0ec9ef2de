import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import { BIN, cli } from "../helpers/cli.js";
import { jsonLogLines } from "../helpers/logs.js";
import { tempDir, until } from "../helpers/temp.js";

// Runs the built CLI (dist/): `npm run build` first, as `npm test` does.

interface Served {
  url: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill("SIGKILL");
});

/** Start `cairn serve …` and wait for the line announcing its URL. */
async function serve(args: readonly string[], cwd: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1" },
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const url = await until(
    () => {
      if (gone) throw new Error(`cairn serve exited early:\n${stdout}\n${stderr}`);
      return /^Cairn API listening on (http:\/\/\S+)/m.exec(stdout)?.[1];
    },
    "cairn serve to print its URL",
    30_000,
    50,
  );
  return { url, child, stdout: () => stdout, stderr: () => stderr, exited };
}

function exitWithin(served: Served, ms: number): Promise<number | null> {
  return Promise.race([
    served.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no exit within ${ms}ms:\n${served.stderr()}`)), ms).unref(),
    ),
  ]);
}

test("cairn token create / ls / revoke, and cairn serve as a real process: serve, run, revoke, SIGTERM", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const flows = path.join(dir, "flows");
  fs.mkdirSync(flows);
  fs.writeFileSync(
    path.join(flows, "greet.yaml"),
    "id: greet\nsteps:\n  - id: say\n    run: echo hello from the API\n",
  );

  const created = await cli(["token", "create", "--tenant", "acme", "--name", "ci", "--db", db], {
    cwd: dir,
  });
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  assert.match(token, /^cairn_[A-Za-z0-9_-]{43}$/, "only the token on stdout");
  assert.match(created.stderr, /shown only this once/);
  const listed = await cli(["token", "ls", "--json", "--db", db], { cwd: dir });
  const tokens = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(
    tokens.map((t) => [t.tenant, t.name, t.readOnly, t.revokedAt]),
    [["acme", "ci", false, null]],
  );
  assert.ok(
    !listed.stdout.includes(token) && !("hash" in tokens[0]!),
    "ls never shows the token or its hash",
  );

  const served = await serve(["--db", db, "--port", "0", "--workflows", flows], dir);
  assert.match(served.stdout(), /\(1 workflow, worker on\)/);
  const auth = { authorization: `Bearer ${token}` };
  assert.deepEqual(await (await fetch(`${served.url}/healthz`)).json(), { status: "ok" });
  assert.equal((await fetch(`${served.url}/api/runs`)).status, 401);

  const start = await fetch(`${served.url}/api/workflows/greet/runs`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ runId: "from-cli-test" }),
  });
  assert.equal(start.status, 201, await start.clone().text());
  const done = await until(
    async () => {
      const run = (await (await fetch(`${served.url}/api/runs/from-cli-test`, { headers: auth })).json()) as {
        status: string;
      };
      return run.status === "running" ? undefined : run;
    },
    "the run to finish",
    30_000,
    100,
  );
  assert.equal(done.status, "succeeded");
  const step = (await (
    await fetch(`${served.url}/api/runs/from-cli-test/steps/say`, { headers: auth })
  ).json()) as {
    logs: Array<{ line: string }>;
  };
  assert.ok(step.logs.some((l) => l.line.includes("hello from the API")));

  const revoked = await cli(["token", "revoke", tokens[0]!.id as string, "--db", db], { cwd: dir });
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(
    (await fetch(`${served.url}/api/runs`, { headers: auth })).status,
    401,
    "revoked at once, in the running server",
  );
  const again = await cli(["token", "revoke", tokens[0]!.id as string, "--db", db], { cwd: dir });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /does not exist or is already revoked/);

  served.child.kill("SIGTERM");
  assert.equal(await exitWithin(served, 20_000), 0, served.stderr());
  assert.ok(
    jsonLogLines(served.stderr()).some((l) => l.msg === "shutting down"),
    served.stderr(),
  );
});

test("cairn serve --no-auth: refused on a non-loopback host; on loopback it warns and acts as tenant default", async () => {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const refused = await cli(["serve", "--no-auth", "--host", "0.0.0.0", "--port", "0", "--db", db], {
    cwd: dir,
  });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--no-auth is only allowed with a loopback --host/);

  const served = await serve(["--no-auth", "--no-worker", "--port", "0", "--db", db], dir);
  const warning = jsonLogLines(served.stderr()).find((l) => l.msg.startsWith("WARNING: --no-auth"));
  assert.equal(warning?.level, 40, served.stderr());
  assert.match(served.stdout(), /no worker/);
  const runs = await fetch(`${served.url}/api/runs`);
  assert.equal(runs.status, 200);
  assert.deepEqual(await runs.json(), { runs: [], nextCursor: null, eventSeq: 0 });
  served.child.kill("SIGINT");
  assert.equal(await exitWithin(served, 20_000), 0, served.stderr());
});

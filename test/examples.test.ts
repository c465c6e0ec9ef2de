// Every example in examples/ runs as its header comment says: each situation Cairn was built for,
// failing where the comment says it fails and recovering with the command it names.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli, ROOT } from "./helpers/cli.js";
import { readLines, tempDir, until } from "./helpers/temp.js";

const example = (name: string) => path.join(ROOT, "examples", name);

async function cairn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = await cli([...args, "--json"], { cwd, env });
  assert.ok(result.code === 0 || result.code === 1, result.stderr);
  return JSON.parse(result.stdout) as {
    id: string;
    status: string;
    output: unknown;
    steps: Array<{ id: string; status: string; provenance: { kind: string } | null }>;
  };
}

test("hello.yaml: three shell steps, the README's quick start", async () => {
  const run = await cairn(tempDir(), ["run", example("hello.yaml"), "--input", '{"name":"Ada"}']);
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, { shout: "HELLO, ADA!" });
});

test("plan-pipeline.ts: the model fails half way; resume calls it only for the section not drafted", async () => {
  const cwd = tempDir();
  const ledger = path.join(cwd, "model-calls.txt");
  const input = ["--input", '{"topic":"tides"}'];
  const failed = await cairn(cwd, ["run", example("plan-pipeline.ts"), ...input, "--id", "tides"], {
    MODEL_LEDGER: ledger,
    MODEL_DOWN_AT: "future",
  });
  assert.equal(failed.status, "failed");
  assert.deepEqual(readLines(ledger), ["tides: history", "tides: today", "tides: future"]);
  const resumed = await cairn(cwd, ["resume", "tides"], { MODEL_LEDGER: ledger });
  assert.equal(resumed.status, "succeeded");
  assert.deepEqual(readLines(ledger).slice(3), ["tides: future"], "history and today came from memos");
  assert.match(String(resumed.output), /^A paragraph about tides: history\.\n\n.*today.*\n\n.*future\.$/s);
});

test("parallel-branches.ts: two failed branches rerun with --failed; setup reused with its variables", async () => {
  const cwd = tempDir();
  const failed = await cairn(cwd, ["run", example("parallel-branches.ts"), "--id", "graph-1"], {
    BRANCHES_BROKEN: "1",
  });
  assert.deepEqual(
    failed.steps.map((s) => [s.id, s.status]),
    [
      ["setup", "succeeded"],
      ["left", "failed"],
      ["right", "failed"],
      ["audit", "succeeded"],
      ["merge", "pending"],
    ],
  );
  const rerun = await cairn(cwd, ["rerun", "graph-1", "--failed"]);
  assert.equal(rerun.status, "succeeded");
  assert.deepEqual(
    rerun.steps.map((s) => [s.id, s.provenance?.kind ?? "executed"]),
    [
      ["setup", "reused"],
      ["left", "executed"],
      ["right", "executed"],
      ["audit", "reused"],
      ["merge", "executed"],
    ],
  );
  assert.deepEqual((rerun.output as { merge: string[] }).merge, ["left 7 in eu-west", "right 7 in eu-west"]);
});

test("data-pipeline.yaml: declared outputs kept, the load continues from its checkpoint on resume", async () => {
  const cwd = tempDir();
  const failed = await cairn(cwd, ["run", example("data-pipeline.yaml"), "--id", "data-1"], {
    LOAD_FAIL_AT: "6",
  });
  assert.equal(failed.status, "failed");
  assert.ok(fs.existsSync(path.join(cwd, ".cairn", "runs", "data-1", "rows.csv")));
  const resumed = await cairn(cwd, ["resume", "data-1"]);
  assert.equal(resumed.status, "succeeded");
  assert.equal(resumed.output, "loaded 10 rows, resumed at row 6");
});

test("report.ts and report-library.ts: the README's TypeScript and library snippets run as written", async () => {
  const cwd = tempDir();
  const run = await cairn(cwd, ["run", example("report.ts"), "--input", '{"topic":"tides"}']);
  assert.deepEqual([run.status, run.output], ["succeeded", 20]);
  const library = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), example("programs/report-library.ts")],
      { cwd },
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
    ),
  );
  assert.equal(library, "report-2026-11-22 succeeded: 20\n");
  assert.ok(fs.existsSync(path.join(cwd, ".cairn", "cairn.db")));
});

test("deadline.yaml: a hung attempt times out and the retry succeeds; past the run's deadline a resume finishes it", async () => {
  const cwd = tempDir();
  const ok = await cairn(cwd, ["run", example("deadline.yaml")]);
  assert.deepEqual([ok.status, ok.output], ["succeeded", "fetched 3 rows"]);
  const shown = JSON.parse((await cli(["--json", "show", ok.id], { cwd })).stdout) as {
    steps: Array<{ id: string; attempts: number }>;
  };
  assert.equal(shown.steps.find((s) => s.id === "fetch")!.attempts, 2, "attempt 1 was killed at its timeout");

  const late = await cli(["run", example("deadline.yaml"), "--id", "dl-1", "--timeout", "3s"], {
    cwd,
    env: { HANG: "always" },
  });
  assert.equal(late.code, 1, late.stderr);
  const failed = JSON.parse((await cli(["--json", "show", "dl-1"], { cwd })).stdout) as { reason: string };
  assert.equal(failed.reason, "deadline exceeded after 3.0s");
  const plan = JSON.parse((await cli(["--json", "resume", "dl-1", "--dry-run"], { cwd })).stdout) as {
    steps: Array<{ stepId: string; why: string }>;
  };
  assert.equal(
    plan.steps[0]!.why,
    "waiting for its retry (attempt 1 failed: Step timed out after 2000ms.)",
    "the plan says the step ran and why, not that it never ran",
  );
  const resumed = await cairn(cwd, ["resume", "dl-1", "--timeout", "1m"]);
  assert.deepEqual([resumed.status, resumed.output], ["succeeded", "fetched 3 rows"]);
});

test("server-restart.yaml: a killed server's runs are interrupted on restart; one resume --all finishes them", async () => {
  const cwd = tempDir();
  const db = path.join(cwd, "cairn.db");
  // The first server's render outlasts the polls that wait to see it running, however slow the
  // machine; the second server's finishes at once.
  const serve = (renderSeconds: string) =>
    spawnNode(
      BIN,
      ["--db", db, "serve", "--no-auth", "--port", "0", "--workflows", example("server-restart.yaml")],
      { RENDER_SECONDS: renderSeconds },
    );
  const runIds = ["sr-1", "sr-2"];
  const status = async (id: string) =>
    JSON.parse((await cli(["--db", db, "--json", "show", id], { cwd })).stdout) as {
      status: string;
      reason: string | null;
      steps: Array<{ id: string; status: string; attempts: number }>;
    };
  // Waits ask the server (one HTTP request) rather than `cairn show` (a process each time).
  const served = async (url: string, id: string) =>
    (await (await fetch(`${url}/api/runs/${id}`)).json()) as {
      status: string;
      steps: Array<{ id: string; status: string }>;
    };
  const listening = async (server: ReturnType<typeof serve>) =>
    /on (http:\/\/\S+)/.exec(await server.line(/^Cairn API listening/))![1]!;
  const first = serve("60");
  try {
    const url = await listening(first);
    for (const id of runIds) {
      const started = await cli(["--db", db, "run", example("server-restart.yaml"), "--detach", "--id", id], {
        cwd,
      });
      assert.equal(started.code, 0, started.stderr);
    }
    for (const id of runIds)
      await until(
        async () => (await served(url, id)).steps[1]!.status === "running",
        `${id}'s render to run`,
      );
  } finally {
    // Killed here in the test, and on a failure too (a live server would keep the test file running).
    first.child.kill("SIGKILL");
    await first.exited;
  }

  const second = serve("0");
  try {
    const url = await listening(second);
    for (const id of runIds) {
      await until(async () => (await served(url, id)).status === "interrupted", `${id} to be interrupted`);
      const run = await status(id);
      assert.equal(run.status, "interrupted");
      assert.match(run.reason ?? "", /^step "render" was running but owner process \d+ on .+ is gone$/);
    }
    const resumed = await cli(
      ["--db", db, "resume", "--all", "--status", "interrupted", "--workflow", "server-restart"],
      { cwd, env: { RENDER_SECONDS: "0" } },
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /resume: 2 runs, 0 refused; 2 steps to execute, 2 kept\./);
    for (const id of runIds) {
      await until(async () => (await served(url, id)).status === "succeeded", `${id} to succeed`);
      const run = await status(id);
      assert.equal(run.status, "succeeded");
      assert.deepEqual(
        run.steps.map((s) => [s.id, s.status, s.attempts]),
        [
          ["prepare", "succeeded", 1],
          ["render", "succeeded", 2],
        ],
        "prepare was kept (one execution); render ran a second time",
      );
    }
  } finally {
    second.child.kill("SIGKILL");
    await second.exited;
  }
});

test("nightly.yaml: the README's YAML example runs as written", async () => {
  const run = await cairn(tempDir(), ["run", example("nightly.yaml")]);
  assert.equal(run.status, "succeeded");
});

test("schedule.yaml: its schedules are valid and listed with their next tick; it also runs by hand", async () => {
  const cwd = tempDir();
  const run = await cairn(cwd, ["run", example("schedule.yaml"), "--input", '{"deep":true}']);
  assert.equal(run.status, "succeeded");
  const listed = await cli(["schedules", "--json"], { cwd });
  assert.equal(listed.code, 0, listed.stderr);
  const schedules = JSON.parse(listed.stdout) as Array<{ name: string; paused: boolean; nextTick: number }>;
  assert.deepEqual(
    schedules.map((s) => [s.name, s.paused, s.nextTick > Date.now()]),
    [
      ["heartbeat", false, true],
      ["hourly", false, true],
    ],
  );
});

test("the README's workflow snippets are the example files, and every examples/ path the docs name exists", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const block = (lang: string, first: string) => {
    const start = readme.indexOf(`\`\`\`${lang}\n${first}`);
    assert.ok(start >= 0, `README has a ${lang} block starting with ${first}`);
    const body = readme.slice(start + lang.length + 4);
    return body.slice(0, body.indexOf("```"));
  };
  const fromFirst = (file: string, first: string) => {
    const text = fs.readFileSync(example(file), "utf8");
    return text.slice(text.indexOf(first));
  };
  assert.equal(block("ts", "import { workflow }"), fromFirst("report.ts", "import { workflow }"));
  assert.equal(block("yaml", "id: nightly"), fromFirst("nightly.yaml", "id: nightly"));

  const docs = [
    "README.md",
    ...fs
      .readdirSync(path.join(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  for (const doc of docs) {
    const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
    for (const [named] of text.matchAll(/examples\/[\w./-]*\.(?:ts|yaml)/g))
      assert.ok(fs.existsSync(path.join(ROOT, named)), `${doc} names ${named}, which does not exist`);
  }
});

test("map.yaml: a failed page fails the map; resume fetches only that page and the report lists all four", async () => {
  const cwd = tempDir();
  const ledger = path.join(cwd, "fetches.txt");
  const failed = await cairn(cwd, ["run", example("map.yaml"), "--id", "pages-1"], {
    BROKEN_PAGE: "faq",
    FETCH_LEDGER: ledger,
  });
  assert.equal(failed.status, "failed");
  assert.deepEqual(readLines(ledger).sort(), ["blog", "docs", "faq", "home"]);
  const resumed = await cairn(cwd, ["resume", "pages-1"], { FETCH_LEDGER: ledger });
  assert.equal(resumed.status, "succeeded");
  assert.deepEqual(readLines(ledger).slice(4), ["faq"], "only the failed page was fetched again");
  assert.equal(resumed.output, "home: 1 min, docs: 5 min, faq: 2 min, blog: 3 min");
});

test("actions.yaml: http.request fetches, file.write saves under reports/, file.read gives it back", async () => {
  const server = http.createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ name: "zod", "dist-tags": { latest: "4.0.0" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/zod`;
    const cwd = tempDir();
    const input = JSON.stringify({ url, name: "zod" });
    const run = await cairn(cwd, ["run", example("actions.yaml"), "--input", input, "--id", "saved"]);
    assert.equal(run.status, "succeeded");
    assert.deepEqual(run.output, { name: "zod", "dist-tags": { latest: "4.0.0" } });
    const refused = await cli(
      ["run", example("actions.yaml"), "--input", JSON.stringify({ url, name: "../x" })],
      {
        cwd,
      },
    );
    assert.equal(refused.code, 2, "the input schema's pattern refuses a name that would lead out");
    assert.match(refused.stderr, /name: Invalid string: must match pattern/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test("release.yaml: packaging runs as a child run; a failed child fails the release, and resuming the release resumes the child", async () => {
  const cwd = tempDir();
  const children = ["--workflows", example("children")];
  const ok = await cairn(cwd, ["run", example("release.yaml"), "--id", "rel-1", ...children]);
  assert.equal(ok.status, "succeeded");
  const child = await cairn(cwd, ["show", "rel-1.package.1"]);
  assert.deepEqual(child.output, { artifact: "app-1.4.0-linux.tar.gz" });

  const failed = await cairn(cwd, ["run", example("release.yaml"), "--id", "rel-2", ...children], {
    PACKAGE_BROKEN: "1",
  });
  assert.equal(failed.status, "failed");
  assert.deepEqual(
    failed.steps.map((s) => [s.id, s.status]),
    [
      ["version", "succeeded"],
      ["package", "failed"],
      ["publish", "pending"],
    ],
  );
  const resumed = await cairn(cwd, ["resume", "rel-2"]);
  assert.equal(resumed.status, "succeeded");
  const logs = await cli(["logs", "rel-2", "--step", "publish"], { cwd });
  assert.match(logs.stdout, /published app-1\.4\.0-linux\.tar\.gz/);
  const rerunChild = await cairn(cwd, ["show", "rel-2.package.1"]);
  assert.equal(rerunChild.status, "succeeded");
});

test("graph.json through programs/graph-over-api.mjs: a graph built as JSON is stored over the API and run there, with no file on the server", async () => {
  const cwd = tempDir();
  const serve = spawnNode(BIN, ["--db", path.join(cwd, "cairn.db"), "serve", "--no-auth", "--port", "0"]);
  try {
    const url = /on (http:\/\/\S+)/.exec(await serve.line(/^Cairn API listening/))![1]!;
    const client = spawnNode(example("programs/graph-over-api.mjs"), ["Grace"], { CAIRN_URL: url });
    const { code } = await client.closed;
    const printed = await client.line(/^run \S+ /);
    assert.equal(code, 0, printed);
    assert.match(printed, /^run run_\S+ succeeded on version [0-9a-f]{16}: "Hello, Grace!"$/);
    const version = /version ([0-9a-f]{16})/.exec(await client.line(/^stored greeting-card version/))![1];
    assert.ok(printed.endsWith(`version ${version}: "Hello, Grace!"`), "the run ran the version just stored");
  } finally {
    serve.child.kill("SIGTERM");
    await serve.exited;
  }
});

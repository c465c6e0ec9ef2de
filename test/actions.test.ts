// Actions: `uses: <action>` with `with:` parameters in YAML and JSON workflows — checked when the
// workflow is defined (with locations), expressions resolved when the step runs, the built-in
// http.request / file.read / file.write actions, and the action's version in the step fingerprint.
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, describe, test } from "node:test";
import { z } from "zod";
import { type Action, Cairn, CairnError, defineAction, loadOneWorkflow } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";
import { pgTestDb } from "./helpers/pg.js";
import { tempDir } from "./helpers/temp.js";

const dir = tempDir("cairn-actions-");
let counter = 0;

function workflowFile(text: string, ext = "yaml"): string {
  const file = path.join(dir, `wf-${++counter}.${ext}`);
  fs.writeFileSync(file, text);
  return file;
}

const greet = defineAction({
  name: "greet",
  version: 1,
  params: z.strictObject({ name: z.string(), times: z.number().int().min(1).default(1) }),
  handler: ({ name, times }) => Array.from({ length: times }, () => `Hello, ${name}!`).join(" "),
});

/** Echoes its parameters and what it was given, to see exactly what expressions resolved to. */
const echo = defineAction({
  name: "test.echo",
  version: "1",
  params: z.record(z.string(), z.json()),
  handler: (params, ctx, needs) => ({ params, needs: Object.keys(needs), step: ctx.step.id }),
});

async function loadError(file: string, actions: readonly Action<never>[] = []): Promise<string[]> {
  const error = await loadOneWorkflow(file, undefined, { actions }).then(
    () => assert.fail(`${file} was accepted`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CairnError && error.code === "INVALID_DEFINITION", String(error));
  return (error.details as { problems: string[] }).problems;
}

/** A local HTTP server answering from `handle`; closed when the file ends. */
async function server(handle: http.RequestListener): Promise<string> {
  const s = http.createServer(handle);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  after(() => new Promise<void>((resolve) => s.close(() => resolve())));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (chunk) => {
      text += chunk;
    });
    req.on("end", () => resolve(text));
  });
}

describe("defining a workflow that uses actions", () => {
  test("every problem is reported at once, each at its line and column", async () => {
    const file = workflowFile(`id: checked
secrets: [TOKEN]
steps:
  - id: a
    uses: greet
    with:
      name: 42
      loud: true
  - id: b
    uses: no.such-action
  - id: c
    needs: []
    uses: greet
    with:
      name: \${{ needs.a.output }}
  - id: d
    uses: greet
    with: { name: "\${{ secrets.OTHER }} and \${{ env.HOME }}" }
  - id: e
    uses: greet
    with: {}
  - id: f
    run: echo hi
    with: { name: x }
  - id: g
    uses: http.request
    with: { url: "not a url", method: FETCH }
`);
    const problems = await loadError(file, [greet]);
    assert.deepEqual(problems, [
      `${file}:7:13: step "a": with.name: Invalid input: expected string, received number`,
      `${file}:8:13: step "a": with.loud: Unrecognized key: "loud"`,
      `${file}:10:11: step "b": unknown action "no.such-action" (registered actions: file.read, file.write, greet, http.request)`,
      `${file}:15:13: step "c": with.name: \${{ needs.a.output }} reads step "a", which is not in the step's needs`,
      `${file}:18:19: step "d": with.name: \${{ secrets.OTHER }} reads secret "OTHER", which the workflow does not declare in secrets`,
      `${file}:18:19: step "d": with.name: \${{ env.HOME }} must start with input, needs, secrets`,
      `${file}:21:11: step "e": with.name: Invalid input: expected string, received undefined`,
      `${file}:24:5: step "f": with gives an action's parameters; it goes with uses: <action name>`,
      `${file}:27:18: step "g": with.url: Invalid URL`,
      `${file}:27:39: step "g": with.method: Invalid option: expected one of "GET"|"HEAD"|"POST"|"PUT"|"PATCH"|"DELETE"|"OPTIONS"`,
    ]);
  });

  test("a parameter holding an expression is checked when the step runs; a missing key still at once", async () => {
    const ok = workflowFile(
      `id: later\nsteps:\n  - id: a\n    uses: greet\n    with: { name: "\${{ input.n }}" }\n`,
    );
    assert.equal(
      (await loadOneWorkflow(ok, undefined, { actions: [greet] })).steps[0]!.action?.name,
      "greet",
    );
    const missing = workflowFile(
      `id: later2\nsteps:\n  - id: a\n    uses: greet\n    with: { times: "\${{ input.t }}" }\n`,
    );
    assert.deepEqual(await loadError(missing, [greet]), [
      `${missing}:5:11: step "a": with.name: Invalid input: expected string, received undefined`,
    ]);
  });

  test("expressions hold references only: no operators, calls or unclosed braces", async () => {
    const file = workflowFile(`id: exprs
steps:
  - id: a
    uses: test.echo
    with:
      sum: \${{ input.a + input.b }}
      call: \${{ input.f() }}
      open: "\${{ input.a"
      bad: \${{ needs.a }}
`);
    assert.deepEqual(await loadError(file, [echo]), [
      `${file}:6:12: step "a": with.sum: \${{ input.a + input.b }} is not a reference like input.name or needs.<step>.output.field[0] (expressions hold paths only)`,
      `${file}:7:13: step "a": with.call: \${{ input.f() }} is not a reference like input.name or needs.<step>.output.field[0] (expressions hold paths only)`,
      `${file}:8:13: step "a": with.open: an expression opened with \${{ is not closed with }}`,
      `${file}:9:12: step "a": with.bad: \${{ needs.a }} must read needs.<step>.output, then an optional path`,
    ]);
  });

  test("a uses: of a file still loads a function; an action's name has no path, # or module suffix", async () => {
    fs.writeFileSync(path.join(dir, "fns.mjs"), "export const seven = () => 7;\n");
    const file = workflowFile(`id: files\nsteps:\n  - id: a\n    uses: ./fns.mjs#seven\n`);
    const { cairn } = await openTemp();
    const run = await (await cairn.start(await loadOneWorkflow(file), {})).result();
    assert.equal(run.output, 7);
    const named = workflowFile(`id: files2\nsteps:\n  - id: a\n    uses: fns.mjs\n`);
    assert.deepEqual(await loadError(named), [
      `${named}:4:11: step "a": fns.mjs has no exported function "default"`,
    ]);
  });

  test("defineAction refuses a bad name, a missing version and a params value that is not a schema", () => {
    const refuses = (options: unknown, message: RegExp) =>
      assert.throws(() => defineAction(options as never), message);
    const handler = () => null;
    refuses(
      { name: "Bad Name", version: 1, params: z.object({}), handler },
      /lowercase words joined by "\."/,
    );
    refuses({ name: "ok", params: z.object({}), handler }, /needs a version/);
    refuses({ name: "ok", version: 1, params: {}, handler }, /Standard Schema/);
  });

  test("two actions of one name are refused", async () => {
    const file = workflowFile(`id: twice\nsteps:\n  - id: a\n    uses: greet\n    with: { name: x }\n`);
    await assert.rejects(
      loadOneWorkflow(file, undefined, { actions: [greet, { ...greet }] }),
      /Two actions are named "greet"; action names must be unique\./,
    );
  });
});

describe("running action steps", () => {
  test("expressions read the run input and the needs' outputs; a whole expression keeps its type", async () => {
    const file = workflowFile(`id: flow
steps:
  - id: hello
    uses: greet
    with: { name: "\${{ input.user.name }}", times: "\${{ input.times }}" }
  - id: shown
    uses: test.echo
    with:
      text: "said: \${{ needs.hello.output }} (\${{ input.tags[1] }})"
      list: \${{ input.tags }}
      first: \${{ input.user }}
      literal: plain
`);
    const { cairn } = await openTemp({ actions: [greet, echo] });
    const definition = await loadOneWorkflow(file, undefined, { actions: [greet, echo] });
    const run = await (
      await cairn.start(definition, { user: { name: "Ada" }, times: 2, tags: ["x", "y"] })
    ).result();
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.deepEqual(run.output, {
      params: {
        text: "said: Hello, Ada! Hello, Ada! (y)",
        list: ["x", "y"],
        first: { name: "Ada" },
        literal: "plain",
      },
      needs: ["hello"],
      step: "shown",
    });
  });

  test("a missing path and a resolved value the action refuses fail the step with a sentence naming them", async () => {
    const file = workflowFile(`id: missing
steps:
  - id: hello
    uses: greet
    with: { name: "\${{ input.user.first }}" }
  - id: count
    needs: []
    uses: greet
    with: { name: x, times: "\${{ input.times }}" }
`);
    const { cairn } = await openTemp();
    const definition = await loadOneWorkflow(file, undefined, { actions: [greet] });
    const handle = await cairn.start(definition, { user: { last: "Lovelace" }, times: "two" });
    const run = await handle.result();
    assert.equal(run.status, "failed");
    const steps = new Map((await cairn.get(handle.id))!.steps.map((s) => [s.stepId, s.error?.message]));
    assert.equal(
      steps.get("hello"),
      `action "greet": \${{ input.user.first }}: input.user has no "first" (its keys: last)`,
    );
    assert.equal(
      steps.get("count"),
      'action "greet": its parameters are invalid: times: Invalid input: expected number, received string',
    );
  });

  test("a secret reaches the action but not the recorded output", async () => {
    const token = "sk-test-8c1d4e2f9a";
    let seen = "";
    const url = await server(async (req, res) => {
      seen = String(req.headers.authorization);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true, echoed: seen }));
    });
    const file = workflowFile(`id: secret-call
secrets: [TOKEN]
steps:
  - id: call
    uses: http.request
    with:
      url: "\${{ input.url }}/me"
      headers: { authorization: "Bearer \${{ secrets.TOKEN }}" }
`);
    const { cairn, dir: runDir } = await openTemp();
    const handle = await cairn.start(await loadOneWorkflow(file), { url }, { secrets: { TOKEN: token } });
    const run = await handle.result();
    assert.equal(run.status, "succeeded", JSON.stringify(run.error));
    assert.equal(seen, `Bearer ${token}`);
    assert.deepEqual((run.output as { body: unknown }).body, { ok: true, echoed: "Bearer ***" });
    const stored = fs
      .readdirSync(runDir)
      .filter((f) => f.startsWith("cairn.db"))
      .map((f) => fs.readFileSync(path.join(runDir, f)).toString("latin1"))
      .join("");
    assert.ok(!stored.includes(token), "the token is nowhere in the store");
  });
});

describe("built-in actions", () => {
  test("http.request: JSON in and out, a 500 retried by the step's retry policy, a timeout", async () => {
    let calls = 0;
    const url = await server(async (req, res) => {
      if (req.url === "/slow") return setTimeout(() => res.end("late"), 2000);
      calls++;
      if (calls === 1) {
        res.statusCode = 503;
        return res.end("busy");
      }
      const received = JSON.parse(await body(req)) as { n: number };
      res.setHeader("content-type", "application/json; charset=utf-8");
      res.end(JSON.stringify({ method: req.method, doubled: received.n * 2 }));
    });
    const file = workflowFile(`id: http
steps:
  - id: post
    uses: http.request
    retry: { attempts: 2, backoff: { initial: 10ms } }
    with: { method: POST, url: "\${{ input.url }}/double", body: { n: "\${{ input.n }}" } }
  - id: slow
    needs: []
    uses: http.request
    with: { url: "\${{ input.url }}/slow", timeoutMs: 100 }
`);
    const { cairn } = await openTemp();
    const handle = await cairn.start(await loadOneWorkflow(file), { url, n: 21 });
    await handle.result();
    const steps = new Map((await cairn.get(handle.id))!.steps.map((s) => [s.stepId, s]));
    const post = steps.get("post")!;
    assert.equal(post.status, "succeeded");
    assert.equal(post.attempts, 2, "the 503 failed the first attempt; the retry succeeded");
    assert.equal((post.output as { status: number }).status, 200);
    assert.deepEqual((post.output as { body: unknown }).body, { method: "POST", doubled: 42 });
    assert.equal(steps.get("slow")!.status, "failed");
    assert.equal(steps.get("slow")!.error?.message, `GET ${url}/slow timed out after 100 ms`);
  });

  test("file.write and file.read stay inside the run directory", async () => {
    const outside = path.join(tempDir(), "secret.txt");
    fs.writeFileSync(outside, "not yours");
    const file = workflowFile(`id: files
steps:
  - id: write
    uses: file.write
    with: { path: out/report.json, content: { topic: "\${{ input.topic }}", n: 3 } }
  - id: read
    uses: file.read
    with: { path: out/report.json, format: json }
  - id: up
    needs: []
    uses: file.read
    with: { path: ../../secret.txt }
  - id: absolute
    needs: []
    uses: file.read
    with: { path: "\${{ input.outside }}" }
  - id: make-link
    needs: []
    run: ln -s "${path.dirname(outside)}" link
  - id: link
    uses: file.read
    with: { path: link/secret.txt }
`);
    const { cairn } = await openTemp();
    const definition = await loadOneWorkflow(file);
    const handle = await cairn.start(definition, { topic: "tides", outside });
    const { run } = handle;
    await handle.result();
    const steps = new Map((await cairn.get(handle.id))!.steps.map((s) => [s.stepId, s]));
    assert.deepEqual(steps.get("write")!.output, { path: "out/report.json", bytes: 33 });
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(run.workdir, "out/report.json"), "utf8")), {
      topic: "tides",
      n: 3,
    });
    assert.deepEqual(steps.get("read")!.output, { topic: "tides", n: 3 });
    assert.equal(
      steps.get("up")!.error?.message,
      'path "../../secret.txt" is refused: it must not contain .. segments',
    );
    assert.equal(
      steps.get("absolute")!.error?.message,
      `path "${outside}" is refused: it must be relative to the run directory`,
    );
    assert.equal(
      steps.get("link")!.error?.message,
      'path "link/secret.txt" is refused: it leads out of the run directory',
    );
  });

  test("a JSON workflow file uses actions too", async () => {
    const file = workflowFile(
      JSON.stringify({
        id: "json-flow",
        steps: [{ id: "hi", uses: "greet", with: { name: `\${{ input.name }}` } }],
      }),
      "json",
    );
    const { cairn } = await openTemp();
    const run = await (
      await cairn.start(await loadOneWorkflow(file, undefined, { actions: [greet] }), { name: "Bo" })
    ).result();
    assert.equal(run.output, "Hello, Bo!");
  });
});

describe("an action's version in the step fingerprint", () => {
  const flow = () =>
    workflowFile(`id: versioned
steps:
  - id: hello
    uses: greet
    with: { name: Ada }
  - id: publish
    run: test -f ready
`);

  test("a new version of the action is a changed step on resume and rerun", async () => {
    const file = flow();
    const { cairn } = await openTemp();
    const handle = await cairn.start(await loadOneWorkflow(file, undefined, { actions: [greet] }), {});
    assert.equal((await handle.result()).status, "failed");
    const before = (await cairn.get(handle.id))!.steps.find((s) => s.stepId === "hello")!.fingerprint;

    const greet2 = defineAction({ ...greet, version: 2 });
    await cairn.register(await loadOneWorkflow(file, undefined, { actions: [greet2] }));
    await assert.rejects(cairn.resume(handle.id), /definition changed since the run started for "hello"/);
    await assert.rejects(
      cairn.rerun(handle.id, { failed: true }),
      /The definition changed since run "[^"]+" ran for "hello"/,
    );
    const plan = await cairn.rerunPlan(handle.id, { failed: true }, { onChange: "rerun" });
    assert.deepEqual(plan.changed, ["hello"]);

    // The same version again: nothing changed.
    await cairn.register(await loadOneWorkflow(file, undefined, { actions: [greet] }));
    assert.deepEqual((await cairn.resumePlan(handle.id)).changed, []);
    assert.ok(before);
  });

  test("PostgreSQL: an action workflow runs, writes its file, and a version change is detected", async (t) => {
    const db = await pgTestDb(t);
    if (!db) return;
    const cairn = await Cairn.open({ db: db.url, pollIntervalMs: 50, actions: [greet] });
    try {
      const file = workflowFile(`id: pg-actions
steps:
  - id: hello
    uses: greet
    with: { name: "\${{ input.name }}" }
  - id: save
    uses: file.write
    with: { path: greeting.txt, content: "\${{ needs.hello.output }}" }
  - id: publish
    run: test -f ready
`);
      const handle = await cairn.start(await loadOneWorkflow(file, undefined, { actions: [greet] }), {
        name: "Grace",
      });
      assert.equal((await handle.result()).status, "failed");
      assert.equal(fs.readFileSync(path.join(handle.run.workdir, "greeting.txt"), "utf8"), "Hello, Grace!");
      await cairn.register(
        await loadOneWorkflow(file, undefined, { actions: [defineAction({ ...greet, version: "2" })] }),
      );
      assert.deepEqual((await cairn.resumePlan(handle.id, { onChange: "rerun" })).changed, ["hello"]);
      fs.writeFileSync(path.join(handle.run.workdir, "ready"), "");
      const run = await (await cairn.resume(handle.id, { onChange: "keep" })).result();
      assert.equal(run.status, "succeeded");
    } finally {
      await cairn.close();
    }
  });
});

test("a new process resumes a run from its file with the actions given to Cairn.open; without them, a clear error", async () => {
  const runDir = tempDir();
  const db = path.join(runDir, "cairn.db");
  const file = workflowFile(`id: reopened
steps:
  - id: hello
    uses: greet
    with: { name: Ada }
  - id: publish
    run: test -f ready
`);
  const first = await Cairn.open({ db, pollIntervalMs: 50, actions: [greet] });
  const handle = await first.start(await loadOneWorkflow(file, undefined, { actions: [greet] }), {});
  assert.equal((await handle.result()).status, "failed");
  await first.close();
  fs.writeFileSync(path.join(handle.run.workdir, "ready"), "");

  const bare = await Cairn.open({ db, pollIntervalMs: 50 });
  await assert.rejects(bare.resume(handle.id), /step "hello": unknown action "greet"/);
  await bare.close();
  const second = await Cairn.open({ db, pollIntervalMs: 50, actions: [greet] });
  try {
    const run = await (await second.resume(handle.id)).result();
    assert.equal(run.status, "succeeded");
    assert.equal((await second.get(handle.id))!.steps[0]!.output, "Hello, Ada!");
  } finally {
    await second.close();
  }
});

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { CairnError, loadOneWorkflow } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";
import { tempDir } from "./helpers/temp.js";

const dir = tempDir("cairn-yaml-");
let counter = 0;

/** Write `text` to a fresh YAML file in the temp dir and return its path. */
function yamlFile(text: string, name = `wf-${++counter}.yaml`): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The INVALID_DEFINITION error loading `file` gives. */
async function loadError(file: string): Promise<{ message: string; problems: string[] }> {
  const error = await loadOneWorkflow(file).then(
    () => assert.fail(`${file} was accepted`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CairnError, String(error));
  assert.equal(error.code, "INVALID_DEFINITION", error.message);
  return { message: error.message, problems: (error.details as { problems?: string[] })?.problems ?? [] };
}

describe("a valid YAML workflow", () => {
  test("omitted needs means the previous step, needs: [] a root; options are normalised", async () => {
    const file = yamlFile(`
id: pipeline
failFast: true
steps:
  - id: fetch
    run: echo fetch
  - id: parse
    run: echo parse
    timeout: 30s
    retry: { attempts: 3, backoff: { initial: 250ms, factor: 3, max: 2s } }
  - id: lint
    needs: []
    run: echo lint
  - id: publish
    needs: [parse, lint]
    run: echo publish
`);
    const d = await loadOneWorkflow(file);
    assert.equal(d.id, "pipeline");
    assert.equal(d.failFast, true);
    assert.deepEqual(
      d.steps.map((s) => [s.id, s.needs]),
      [
        ["fetch", []],
        ["parse", ["fetch"]],
        ["lint", []],
        ["publish", ["parse", "lint"]],
      ],
    );
    const parse = d.steps[1]!;
    assert.equal(parse.timeoutMs, 30_000);
    assert.deepEqual(parse.retry, { attempts: 3, backoff: { initialMs: 250, factor: 3, maxMs: 2000 } });
    assert.equal(d.sourceFile, file);
  });
});

describe("malformed YAML is reported with file, line and column", () => {
  test("bad indentation", async () => {
    const file = yamlFile("id: w\nsteps:\n  - id: a\n    run: echo hi\n   needs: []\n");
    const { message } = await loadError(file);
    assert.match(message, new RegExp(`^${escapeRegExp(file)}:5:1: `));
  });

  test("a duplicate key", async () => {
    const file = yamlFile("id: w\nsteps:\n  - id: a\n    run: echo one\n    run: echo two\n");
    const { message } = await loadError(file);
    assert.equal(message, `${file}:5:5: Map keys must be unique (a key appears twice in one mapping).`);
  });

  test("an unclosed quote points at the quote that opens the value", async () => {
    const file = yamlFile('id: w\nsteps:\n  - id: a\n    run: "echo hi\n  - id: b\n    run: echo b\n');
    const { message } = await loadError(file);
    assert.equal(message, `${file}:4:10: this quoted value is never closed (missing closing quote).`);
  });

  test('a run: value containing ": " says to quote it or use a block', async () => {
    const file = yamlFile('id: w\nsteps:\n  - id: a\n    run: echo "a: b"\n');
    const { message } = await loadError(file);
    assert.equal(
      message,
      `${file}:4:10: the value of "run" contains ": ", which YAML reads as a nested mapping; quote the whole value (run: 'echo "a: b"') or write it as a block (run: | and the value on the next line, indented).`,
    );
    // Both suggestions load and run the command as written.
    const quoted = yamlFile("id: w\nsteps:\n  - id: a\n    run: 'echo \"a: b\"'\n");
    const block = yamlFile('id: w\nsteps:\n  - id: a\n    run: |\n      echo "a: b"\n');
    for (const f of [quoted, block]) assert.equal((await loadOneWorkflow(f)).steps[0]!.id, "a");
  });

  test("a tab used as indentation", async () => {
    const file = yamlFile("id: w\nsteps:\n\t- id: a\n");
    const { message } = await loadError(file);
    assert.match(message, new RegExp(`^${escapeRegExp(file)}:3:1: `));
  });

  test("an empty file, and a file that is not a mapping", async () => {
    const empty = yamlFile("# nothing yet\n");
    assert.equal(
      (await loadError(empty)).message,
      `${empty} is empty; a workflow needs an "id" and a list of "steps".`,
    );
    const list = yamlFile("- id: a\n  run: echo\n");
    assert.equal(
      (await loadError(list)).message,
      `${list}:1:1: a workflow file must be a mapping with "id" and "steps", not a list.`,
    );
  });
});

describe("unknown keys and wrong shapes point at their line and column", () => {
  test("an unknown top-level key and an unknown step key, both reported", async () => {
    const file = yamlFile(`id: w
colour: blue
steps:
  - id: a
    run: echo hi
    nedds: []
`);
    const { problems } = await loadError(file);
    assert.deepEqual(problems, [
      `${file}:2:1: unknown key "colour" (known: id, description, input, failFast, recovery, maxRecoveries, secrets, checkpointInterval, timeout, stepTimeout, resume, schedules, env, steps)`,
      `${file}:6:5: step "a": unknown key "nedds" (known: id, needs, run, uses, sleep, until, wait, run-workflow, input, retry, timeout, env, effects, label, outputs, map, with)`,
    ]);
  });

  test("needs that is not a list, env that is not a mapping, a step that is not a mapping", async () => {
    const file = yamlFile(`id: w
steps:
  - id: a
    run: echo a
    needs: b
  - id: b
    run: echo b
    env: [A, B]
  - echo c
`);
    const { problems } = await loadError(file);
    assert.deepEqual(problems, [
      `${file}:5:12: step "a": needs must be a list of strings, got "b"`,
      `${file}:8:10: step "b": env must be a mapping, got ["A","B"]`,
      `${file}:9:5: each step must be a mapping with an "id", got "echo c"`,
    ]);
  });

  test("run and uses are exclusive, and one of them is required", async () => {
    const file = yamlFile(`id: w
steps:
  - id: both
    run: echo hi
    uses: ./steps.ts#f
  - id: neither
    needs: []
`);
    const { problems } = await loadError(file);
    assert.deepEqual(problems, [
      `${file}:3:5: step "both": needs exactly one of "run" (a shell command), "uses" (an action name, or ./file.ts#exportName), "sleep" (a duration), "until" (a time), "wait" (a signal) or "run-workflow" (a workflow id), not "run" and "uses"`,
      `${file}:6:5: step "neither": needs exactly one of "run" (a shell command), "uses" (an action name, or ./file.ts#exportName), "sleep" (a duration), "until" (a time), "wait" (a signal) or "run-workflow" (a workflow id)`,
    ]);
  });
});

describe("the validation catalogue through YAML", () => {
  /** The problems of a workflow whose steps are `steps` (YAML text indented under `steps:`). */
  async function stepProblems(steps: string): Promise<{ file: string; problems: string[]; message: string }> {
    const file = yamlFile(`id: w\nsteps:\n${steps}`);
    return { file, ...(await loadError(file)) };
  }

  test("duplicate ids, unknown needs, self-dependency, each at the step's line", async () => {
    const { file, problems } = await stepProblems(`  - id: a
    run: echo
  - id: a
    run: echo
  - id: b
    needs: [ghost]
    run: echo
  - id: c
    needs: [c]
    run: echo
`);
    assert.deepEqual(problems, [
      `${file}:5:5: step "a": duplicate step id "a" (ids must be unique)`,
      `${file}:7:5: step "b": needs unknown step "ghost"`,
      `${file}:10:5: step "c": needs itself`,
    ]);
  });

  test("a cycle is named", async () => {
    const { message } = await stepProblems(`  - id: a
    needs: [c]
    run: echo
  - id: b
    run: echo
  - id: c
    run: echo
`);
    assert.equal(message, 'Workflow "w" is invalid: steps form a cycle: a -> c -> b -> a.');
  });

  test("an empty workflow: no steps, or steps: []", async () => {
    const none = yamlFile("id: w\n");
    assert.equal(
      (await loadError(none)).message,
      'Workflow "w" is invalid: the workflow has no steps; add at least one.',
    );
    const emptyList = yamlFile("id: w\nsteps: []\n");
    assert.equal(
      (await loadError(emptyList)).message,
      'Workflow "w" is invalid: the workflow has no steps; add at least one.',
    );
  });

  test("bad retry values", async () => {
    const { file, problems } = await stepProblems(`  - id: negative
    run: echo
    retry: { attempts: -2 }
  - id: nan
    run: echo
    retry: { attempts: .nan }
  - id: zero
    run: echo
    retry: { attempts: 0 }
  - id: absurd
    run: echo
    retry: { attempts: 5000, backoff: { factor: 1000, initial: 100h } }
  - id: inverted
    run: echo
    retry: { attempts: 2, backoff: { initial: 1m, max: 1s } }
  - id: garbled
    run: echo
    retry: { backoff: { initial: a while } }
`);
    assert.deepEqual(problems, [
      `${file}:3:5: step "negative": retry.attempts must be between 1 and 100, got -2`,
      `${file}:6:5: step "nan": retry.attempts must be a number, got NaN`,
      `${file}:9:5: step "zero": retry.attempts must be between 1 and 100, got 0`,
      `${file}:12:5: step "absurd": retry.attempts must be between 1 and 100, got 5000`,
      `${file}:12:5: step "absurd": retry.backoff.initial must be between 0ms and 24h, got "100h"`,
      `${file}:12:5: step "absurd": retry.backoff.factor must be between 1 and 10, got 1000`,
      `${file}:15:5: step "inverted": retry.backoff.max (1s) is below retry.backoff.initial (1m)`,
      `${file}:18:5: step "garbled": retry.backoff.initial must be a duration like "500ms", "30s", "5m" or "1h", got "a while"`,
    ]);
  });

  test("bad timeouts", async () => {
    const { file, problems } = await stepProblems(`  - id: negative
    run: echo
    timeout: -1
  - id: nan
    run: echo
    timeout: .nan
  - id: absurd
    run: echo
    timeout: 10000h
  - id: words
    run: echo
    timeout: ten minutes
`);
    assert.deepEqual(problems, [
      `${file}:3:5: step "negative": timeout must not be negative, got -1`,
      `${file}:6:5: step "nan": timeout must be a finite number of milliseconds, got NaN`,
      `${file}:9:5: step "absurd": timeout must be between 1ms and 7 days, got "10000h"`,
      `${file}:12:5: step "words": timeout must be a duration like "500ms", "30s", "5m" or "1h", got "ten minutes"`,
    ]);
  });

  test("bad ids: empty, too long, outside [A-Za-z0-9_.-], and a bad workflow id", async () => {
    const long = "y".repeat(129);
    const file = yamlFile(`id: my workflow
steps:
  - id: ""
    run: echo
  - id: ${long}
    needs: []
    run: echo
  - id: a/b
    needs: []
    run: echo
  - id: 42
    needs: []
    run: echo
`);
    const { message, problems } = await loadError(file);
    assert.ok(message.startsWith("Workflow is invalid:\n"), message);
    assert.deepEqual(problems, [
      'workflow id "my workflow" may only contain letters, digits, "_", "." and "-" ([A-Za-z0-9_.-])',
      `${file}:3:5: step #1 id must not be empty`,
      `${file}:5:5: step #2 id "${"y".repeat(20)}…" is 129 characters long; the limit is 128`,
      `${file}:8:5: step #3 id "a/b" may only contain letters, digits, "_", "." and "-" ([A-Za-z0-9_.-])`,
      `${file}:11:5: step #4 id must be a string, got number`,
    ]);
  });

  test("all problems of a file are reported together", async () => {
    const file = yamlFile(`id: w
failFast: maybe
extra: 1
steps:
  - id: a
    run: echo
    timeout: -3
    colour: red
  - id: a
    needs: [nowhere]
    run: echo
    uses: ./x.ts
`);
    const { message, problems } = await loadError(file);
    assert.deepEqual(problems, [
      `${file}:3:1: unknown key "extra" (known: id, description, input, failFast, recovery, maxRecoveries, secrets, checkpointInterval, timeout, stepTimeout, resume, schedules, env, steps)`,
      `${file}:8:5: step "a": unknown key "colour" (known: id, needs, run, uses, sleep, until, wait, run-workflow, input, retry, timeout, env, effects, label, outputs, map, with)`,
      `${file}:9:5: step "a": needs exactly one of "run" (a shell command), "uses" (an action name, or ./file.ts#exportName), "sleep" (a duration), "until" (a time), "wait" (a signal) or "run-workflow" (a workflow id), not "run" and "uses"`,
      `${file}:5:5: step "a": timeout must not be negative, got -3`,
      `${file}:9:5: step "a": duplicate step id "a" (ids must be unique)`,
      `${file}:9:5: step "a": needs unknown step "nowhere"`,
      'failFast must be true or false, got "maybe"',
    ]);
    assert.equal(message, `Workflow "w" is invalid:\n  - ${problems.join("\n  - ")}`);
  });
});

describe("uses: ./file.ts#exportName", () => {
  const steps = path.join(dir, "steps.ts");
  fs.writeFileSync(
    steps,
    `interface Ctx { input: { n: number }; needs: Record<string, unknown>; log: (line: string) => void }
export async function double({ input, log }: Ctx): Promise<number> {
  log("doubling " + input.n);
  return input.n * 2;
}
export const describeIt = ({ needs }: Ctx): string => "got " + JSON.stringify(needs);
export const notAFunction = 3;
`,
  );

  test("calls the TypeScript function with the step context; its result is the output", async () => {
    const file = yamlFile(`id: uses-ts
steps:
  - id: double
    uses: ./steps.ts#double
  - id: describe
    uses: ./steps.ts#describeIt
`);
    const definition = await loadOneWorkflow(file);
    const { cairn } = await openTemp();
    const run = await (await cairn.start(definition, { n: 21 })).result();
    assert.equal(run.status, "succeeded");
    const view = await cairn.get(run.id);
    assert.deepEqual(
      view?.steps.map((s) => [s.stepId, s.output]),
      [
        ["double", 42],
        ["describe", 'got {"double":42}'],
      ],
    );
    assert.deepEqual(
      (await cairn.logs(run.id, "double")).map((l) => l.line),
      ["doubling 21"],
    );
  });

  test("a missing export, a missing file or a value that is not a function is a clear error", async () => {
    const file = yamlFile(`id: w
steps:
  - id: a
    uses: ./steps.ts#nope
  - id: b
    uses: ./missing.ts#f
  - id: c
    uses: ./steps.ts#notAFunction
`);
    const { problems } = await loadError(file);
    assert.deepEqual(problems, [
      `${file}:4:11: step "a": ./steps.ts has no exported function "nope"`,
      `${file}:6:11: step "b": uses points to ./missing.ts, which does not exist`,
      `${file}:8:11: step "c": ./steps.ts has no exported function "notAFunction"`,
    ]);
  });

  test("a TypeScript file that does not compile is reported with its own line", async () => {
    fs.writeFileSync(path.join(dir, "broken.ts"), "export const f = (: number) => 1;\n");
    const file = yamlFile("id: w\nsteps:\n  - id: a\n    uses: ./broken.ts#f\n");
    const { problems } = await loadError(file);
    assert.equal(problems.length, 1);
    assert.ok(problems[0]!.startsWith(`${file}:4:11: step "a": cannot load ./broken.ts: `), problems[0]);
    assert.match(problems[0]!, /broken\.ts:1:\d+/);
  });
});

describe("input: a JSON Schema that validates the run input", () => {
  const file = yamlFile(`id: greet
input:
  type: object
  required: [name]
  properties:
    name: { type: string, minLength: 1 }
    times: { type: integer, minimum: 1 }
steps:
  - id: hello
    run: echo hi
`);

  test("bad input is refused at start with the failing field; no run is recorded", async () => {
    const definition = await loadOneWorkflow(file);
    const { cairn } = await openTemp();
    for (const [input, field] of [
      [{}, "name"],
      [{ name: 5 }, "name"],
      [{ name: "Ada", times: 0 }, "times"],
    ] as const) {
      const error = await cairn.start(definition, input).then(
        () => assert.fail(`accepted ${JSON.stringify(input)}`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof CairnError);
      assert.equal(error.code, "INVALID_INPUT");
      assert.match(error.message, new RegExp(`^Input for workflow "greet" is invalid: ${field}: `));
    }
    assert.deepEqual(await cairn.list(), []);
  });

  test("good input starts the run", async () => {
    const definition = await loadOneWorkflow(file);
    const { cairn } = await openTemp();
    const run = await (await cairn.start(definition, { name: "Ada", times: 2 })).result();
    assert.equal(run.status, "succeeded");
    assert.deepEqual(run.input, { name: "Ada", times: 2 });
  });

  test("input that is not a mapping is reported at its line", async () => {
    const bad = yamlFile("id: w\ninput: [name]\nsteps:\n  - id: a\n    run: echo\n");
    const { problems } = await loadError(bad);
    assert.deepEqual(problems, [`${bad}:2:8: input must be a mapping, got ["name"]`]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

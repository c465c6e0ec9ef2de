import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { z } from "zod";
import { type Cairn, CairnError, workflow } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";

const noop = async () => null;

/** The INVALID_DEFINITION error `build` throws: its message and its list of problems. */
function invalid(build: () => unknown): { message: string; problems: string[] } {
  try {
    build();
  } catch (error) {
    assert.ok(error instanceof CairnError, `expected a CairnError, got ${String(error)}`);
    assert.equal(error.code, "INVALID_DEFINITION");
    return { message: error.message, problems: (error.details as { problems: string[] }).problems };
  }
  assert.fail("the definition was accepted");
}

/** A workflow with one step `a` whose options are `options` (typed loosely to try bad values). */
function oneStep(options: Record<string, unknown>) {
  return () =>
    workflow("w")
      .step("a", options as never, noop)
      .definition();
}

describe("the TypeScript builder accepts a valid workflow", () => {
  test("a step without needs depends on the previous one; needs: [] makes a root", () => {
    const d = workflow("shape")
      .step("first", noop)
      .step("second", noop)
      .step("other-root", { needs: [] }, noop)
      .step("join", { needs: ["second", "other-root"] }, noop)
      .definition();
    assert.deepEqual(
      d.steps.map((s) => [s.id, s.needs]),
      [
        ["first", []],
        ["second", ["first"]],
        ["other-root", []],
        ["join", ["second", "other-root"]],
      ],
    );
  });

  test("builders are values: steps added to one never show up in another built from the same start", () => {
    const ids = (w: { definition(): { steps: readonly { id: string; needs: readonly string[] }[] } }) =>
      w.definition().steps.map((s) => `${s.id}<${s.needs.join(",")}`);
    const base = workflow("branches").step("a", noop);
    const left = base.step("b", noop);
    const right = base.step("c", noop).step("d", noop);
    const leftLonger = left.step("e", noop);
    const fromRight = right.step("f", { needs: ["a"] }, noop);
    assert.deepEqual(ids(base), ["a<"]);
    assert.deepEqual(ids(left), ["a<", "b<a"]);
    assert.deepEqual(ids(right), ["a<", "c<a", "d<c"]);
    assert.deepEqual(ids(leftLonger), ["a<", "b<a", "e<b"]);
    assert.deepEqual(ids(fromRight), ["a<", "c<a", "d<c", "f<a"]);
    // An unknown option on one branch is not a problem of the other.
    const bad = base.step("x", { retries: 3 } as never, noop);
    assert.match(invalid(() => bad.definition()).message, /unknown option "retries"/);
    assert.deepEqual(ids(base.step("y", noop)), ["a<", "y<a"]);
  });

  test("retry and timeout are normalised to milliseconds; defaults apply", () => {
    const d = workflow("opts", { failFast: true, recovery: "manual" })
      .step(
        "a",
        { retry: { attempts: 3, backoff: { initial: "2s", factor: 3, max: "1m" } }, timeout: "5m" },
        noop,
      )
      .step("b", noop)
      .definition();
    const [a, b] = d.steps;
    assert.deepEqual(a?.retry, { attempts: 3, backoff: { initialMs: 2000, factor: 3, maxMs: 60_000 } });
    assert.equal(a?.timeoutMs, 300_000);
    assert.deepEqual(b?.retry, { attempts: 1, backoff: { initialMs: 1000, factor: 2, maxMs: 60_000 } });
    assert.equal(b?.timeoutMs, null);
    assert.equal(d.failFast, true);
    assert.equal(d.recovery, "manual");
  });

  test("an initial backoff above the default cap raises the cap instead of being rejected", () => {
    const d = workflow("slow")
      .step("a", { retry: { attempts: 2, backoff: { initial: "5m" } } }, noop)
      .definition();
    assert.deepEqual(d.steps[0]?.retry.backoff, { initialMs: 300_000, factor: 2, maxMs: 300_000 });
  });

  test("ids may use letters, digits, _ . - and be up to 128 characters long", () => {
    const long = "x".repeat(128);
    const d = workflow("Report_v2.1-final").step(long, noop).step("A.b_c-9", noop).definition();
    assert.deepEqual(
      d.steps.map((s) => s.id),
      [long, "A.b_c-9"],
    );
  });

  test("needs are typed: only earlier step ids, and handlers see their outputs' types", () => {
    // Compile-time checks (npm run typecheck); never executed.
    const typed = () =>
      workflow("typed")
        .step("fetch", async () => ({ rows: 10 }))
        .step("count", { needs: ["fetch"] }, async ({ needs }) => {
          const rows: number = needs.fetch.rows;
          // @ts-expect-error "fetch" returns no `title`
          needs.fetch.title;
          return rows;
        })
        // @ts-expect-error "missing" is not an earlier step
        .step("bad", { needs: ["missing"] }, noop)
        .step("implicit", async ({ needs }) => {
          // Without `needs`, the handler sees only the previous step.
          // @ts-expect-error "count" is not the previous step of "implicit"
          needs.count;
          return null;
        });
    assert.equal(typeof typed, "function");
  });
});

describe("the TypeScript builder rejects invalid workflows with a message naming the problem", () => {
  test("duplicate step ids", () => {
    const { message, problems } = invalid(() => workflow("w").step("a", noop).step("a", noop).definition());
    assert.equal(message, 'Workflow "w" is invalid: step "a": duplicate step id "a" (ids must be unique).');
    assert.equal(problems.length, 1, "a duplicate is not also reported as needing itself");
  });

  test("unknown needs", () => {
    const { message } = invalid(oneStep({ needs: ["ghost"] }));
    assert.equal(message, 'Workflow "w" is invalid: step "a": needs unknown step "ghost".');
  });

  test("a cycle is named, each step followed by the one it needs", () => {
    const two = invalid(() =>
      workflow("w")
        .step("a", { needs: ["b"] as never[] }, noop)
        .step("b", { needs: ["a"] }, noop)
        .definition(),
    );
    assert.equal(two.message, 'Workflow "w" is invalid: steps form a cycle: a -> b -> a.');
    const three = invalid(() =>
      workflow("w")
        .step("root", { needs: [] }, noop)
        .step("a", { needs: ["root", "c"] as never[] }, noop)
        .step("b", { needs: ["a"] }, noop)
        .step("c", { needs: ["b"] }, noop)
        .definition(),
    );
    assert.match(three.message, /steps form a cycle: a -> c -> b -> a\.$/);
  });

  test("a step that needs itself", () => {
    const { message } = invalid(oneStep({ needs: ["a"] }));
    assert.equal(message, 'Workflow "w" is invalid: step "a": needs itself.');
  });

  test("an empty workflow", () => {
    const { message } = invalid(() => workflow("nothing").definition());
    assert.equal(message, 'Workflow "nothing" is invalid: the workflow has no steps; add at least one.');
  });

  const retryCases: Array<[string, Record<string, unknown>, string]> = [
    ["negative attempts", { attempts: -1 }, "retry.attempts must be between 1 and 100, got -1"],
    ["zero attempts", { attempts: 0 }, "retry.attempts must be between 1 and 100, got 0"],
    ["NaN attempts", { attempts: Number.NaN }, "retry.attempts must be a number, got NaN"],
    ["absurd attempts", { attempts: 1_000_000 }, "retry.attempts must be between 1 and 100, got 1000000"],
    ["fractional attempts", { attempts: 2.5 }, "retry.attempts must be a whole number, got 2.5"],
    ["attempts as a string", { attempts: "3" }, 'retry.attempts must be a number, got "3"'],
    ["negative initial", { backoff: { initial: -5 } }, "retry.backoff.initial must not be negative, got -5"],
    ["NaN initial", { backoff: { initial: Number.NaN } }, "retry.backoff.initial must be a finite number"],
    [
      "absurd initial",
      { backoff: { initial: "1000h" } },
      'retry.backoff.initial must be between 0ms and 24h, got "1000h"',
    ],
    [
      "a bad duration string",
      { backoff: { initial: "soon" } },
      'retry.backoff.initial must be a duration like "500ms", "30s", "5m" or "1h", got "soon"',
    ],
    ["a negative duration string", { backoff: { max: "-1s" } }, "retry.backoff.max must be a duration like"],
    [
      "factor below 1",
      { backoff: { factor: 0.5 } },
      "retry.backoff.factor must be between 1 and 10, got 0.5",
    ],
    [
      "absurd factor",
      { backoff: { factor: 1e9 } },
      "retry.backoff.factor must be between 1 and 10, got 1000000000",
    ],
    [
      "max below initial",
      { backoff: { initial: "10s", max: "1s" } },
      "retry.backoff.max (1s) is below retry.backoff.initial (10s)",
    ],
    ["an unknown retry key", { attempt: 3 }, 'retry has an unknown key "attempt" (known: attempts, backoff)'],
    ["an unknown backoff key", { backoff: { delay: "1s" } }, 'retry.backoff has an unknown key "delay"'],
  ];
  for (const [name, retry, expected] of retryCases)
    test(`bad retry: ${name}`, () => {
      const { message, problems } = invalid(oneStep({ retry }));
      assert.equal(problems.length, 1, message);
      assert.ok(message.startsWith(`Workflow "w" is invalid: step "a": ${expected}`), message);
    });

  test("bad retry: not an object", () => {
    const { message } = invalid(oneStep({ retry: 3 }));
    assert.match(message, /step "a": retry must be an object like \{ attempts: 3 \}, got 3/);
  });

  const timeoutCases: Array<[string, unknown, string]> = [
    ["negative", -1, "timeout must not be negative, got -1"],
    ["NaN", Number.NaN, "timeout must be a finite number of milliseconds, got NaN"],
    ["infinite", Number.POSITIVE_INFINITY, "timeout must be a finite number of milliseconds, got Infinity"],
    ["zero", 0, "timeout must be between 1ms and 7 days, got 0ms"],
    ["absurd", "900h", 'timeout must be between 1ms and 7 days, got "900h"'],
    ["absurd in ms", 1e12, "timeout must be between 1ms and 7 days, got 1000000000000ms"],
    [
      "a bad duration string",
      "5 minutes",
      'timeout must be a duration like "500ms", "30s", "5m" or "1h", got "5 minutes"',
    ],
  ];
  for (const [name, timeout, expected] of timeoutCases)
    test(`bad timeout: ${name}`, () => {
      const { message } = invalid(oneStep({ timeout }));
      assert.equal(message, `Workflow "w" is invalid: step "a": ${expected}.`);
    });

  test("unknown option keys, on the workflow and on a step", () => {
    const wf = invalid(() =>
      workflow("w", { failfast: true } as never)
        .step("a", noop)
        .definition(),
    );
    assert.equal(
      wf.message,
      'Workflow "w" is invalid: unknown option "failfast" (known: input, failFast, recovery, maxRecoveries, secrets, checkpointInterval, timeout, stepTimeout, resume, schedules).',
    );
    const step = invalid(oneStep({ need: ["x"] }));
    assert.match(step.message, /^Workflow "w" is invalid: step "a": unknown option "need" \(known: needs, /);
  });

  test("bad ids: empty, too long, or with characters outside [A-Za-z0-9_.-]", () => {
    const emptyWorkflow = invalid(() => workflow("").step("a", noop).definition());
    assert.equal(emptyWorkflow.message, "Workflow is invalid: workflow id must not be empty.");
    const spaced = invalid(() => workflow("my workflow").step("a", noop).definition());
    assert.match(
      spaced.message,
      /workflow id "my workflow" may only contain letters, digits, "_", "\." and "-"/,
    );

    const { problems } = invalid(() =>
      workflow("w")
        .step("", { needs: [] }, noop)
        .step("x".repeat(129), { needs: [] }, noop)
        .step("has space", { needs: [] }, noop)
        .step("slash/no", { needs: [] }, noop)
        .step("é", { needs: [] }, noop)
        .definition(),
    );
    assert.deepEqual(problems, [
      "step #1 id must not be empty",
      `step #2 id "${"x".repeat(20)}…" is 129 characters long; the limit is 128`,
      'step #3 id "has space" may only contain letters, digits, "_", "." and "-" ([A-Za-z0-9_.-])',
      'step #4 id "slash/no" may only contain letters, digits, "_", "." and "-" ([A-Za-z0-9_.-])',
      'step #5 id "é" may only contain letters, digits, "_", "." and "-" ([A-Za-z0-9_.-])',
    ]);
  });

  test("a step after an invalid id is not also reported as needing an unknown step", () => {
    const { problems } = invalid(() => workflow("w").step("bad id", noop).step("next", noop).definition());
    assert.deepEqual(problems, [
      'step #1 id "bad id" may only contain letters, digits, "_", "." and "-" ([A-Za-z0-9_.-])',
    ]);
  });

  test("every problem is reported at once, in one error", () => {
    const { message, problems } = invalid(() =>
      workflow("w", { failFast: "yes" as never, colour: "red" } as never)
        .step("a", { retry: { attempts: 0 }, timeout: -5 }, noop)
        .step("a", noop)
        .step("b", { needs: ["ghost"] as never[], wat: 1 } as never, noop)
        .step("c", { needs: ["d"] as never[] }, noop)
        .step("d", { needs: ["c"] }, noop)
        .definition(),
    );
    assert.deepEqual(problems, [
      'unknown option "colour" (known: input, failFast, recovery, maxRecoveries, secrets, checkpointInterval, timeout, stepTimeout, resume, schedules)',
      'step "b": unknown option "wat" (known: needs, retry, timeout, effects, label, outputs, version)',
      'step "a": timeout must not be negative, got -5',
      'step "a": retry.attempts must be between 1 and 100, got 0',
      'step "a": duplicate step id "a" (ids must be unique)',
      'step "b": needs unknown step "ghost"',
      "steps form a cycle: c -> d -> c",
      'failFast must be true or false, got "yes"',
    ]);
    assert.equal(message, `Workflow "w" is invalid:\n  - ${problems.join("\n  - ")}`);
  });

  test("a step without a handler, bad effects, bad outputs and a non-schema input", () => {
    const { problems } = invalid(() =>
      workflow("w", { input: { parse: () => 1 } as never })
        .step(
          "a",
          { effects: "sometimes" as never, outputs: ["/etc/passwd", "../up.txt"] },
          undefined as never,
        )
        .definition(),
    );
    assert.deepEqual(problems, [
      'step "a": effects must be "idempotent" or "non-idempotent", got "sometimes"',
      'step "a": has no handler function',
      'step "a": output "/etc/passwd" must be a relative path inside the run directory',
      'step "a": output "../up.txt" must be a relative path inside the run directory',
      "input must be a schema implementing Standard Schema (zod, valibot, arktype…)",
    ]);
  });
});

describe("Cairn.start validates before it records anything", () => {
  const report = workflow("report", {
    input: z.object({ topic: z.string(), pages: z.number().int().default(1) }),
  })
    .step("fetch", async ({ input }) => ({ topic: input.topic, pages: input.pages }))
    .step("summarise", async ({ needs }) => `${needs.fetch.topic}:${needs.fetch.pages}`);

  /** Rows in the runs and steps tables, read straight from the SQLite file, and run directories on disk. */
  function leftovers(db: string, dir: string) {
    const sqlite = new Database(db, { readonly: true });
    try {
      const count = (table: string) =>
        (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const runsDir = path.join(dir, "runs");
      return {
        runs: count("runs"),
        steps: count("steps"),
        events: count("events"),
        runDirs: fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : [],
      };
    } finally {
      sqlite.close();
    }
  }

  async function startFails(cairn: Cairn, start: () => Promise<unknown>): Promise<CairnError> {
    const error = await start().then(
      () => assert.fail("start succeeded"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CairnError, String(error));
    assert.deepEqual(await cairn.list(), []);
    return error;
  }

  test("input that does not match the zod schema is refused with a clear message and leaves no run", async () => {
    const { cairn, db, dir } = await openTemp();
    const wrongType = await startFails(cairn, () => cairn.start(report, { topic: 42 }));
    assert.equal(wrongType.code, "INVALID_INPUT");
    assert.equal(
      wrongType.message,
      'Input for workflow "report" is invalid: topic: Invalid input: expected string, received number.',
    );
    const missing = await startFails(cairn, () => cairn.start(report, {}));
    assert.match(missing.message, /^Input for workflow "report" is invalid: topic: /);
    const withId = await startFails(cairn, () => cairn.start(report, { topic: 1 }, { runId: "chosen-id" }));
    assert.equal(withId.code, "INVALID_INPUT");
    assert.equal(await cairn.get("chosen-id"), undefined);
    assert.deepEqual(leftovers(db, dir), { runs: 0, steps: 0, events: 0, runDirs: [] });
  });

  test("input that is not JSON-serialisable is refused and leaves no run", async () => {
    const { cairn, db, dir } = await openTemp();
    const loose = workflow("loose").step("a", noop);
    const error = await startFails(cairn, () => cairn.start(loose, { n: 10n }));
    assert.equal(error.code, "INVALID_INPUT");
    assert.equal(error.message, "Run input must be JSON-serialisable.");
    assert.deepEqual(leftovers(db, dir), { runs: 0, steps: 0, events: 0, runDirs: [] });
  });

  test("an invalid definition is refused at start and leaves no run", async () => {
    const { cairn, db, dir } = await openTemp();
    const broken = workflow("broken")
      .step("a", { needs: ["b"] as never[] }, noop)
      .step("b", { needs: ["a"] }, noop);
    const error = await startFails(cairn, () => cairn.start(broken, {}));
    assert.equal(error.code, "INVALID_DEFINITION");
    assert.match(error.message, /steps form a cycle: a -> b -> a/);
    assert.deepEqual(leftovers(db, dir), { runs: 0, steps: 0, events: 0, runDirs: [] });
    assert.deepEqual(await cairn.workflows(), [], "an invalid workflow is not registered either");
  });

  test("valid input is parsed by the schema (defaults applied) and reaches the steps", async () => {
    const { cairn } = await openTemp();
    const run = await (await cairn.start(report, { topic: "tides" })).result();
    assert.equal(run.status, "succeeded");
    assert.deepEqual(run.input, { topic: "tides", pages: 1 });
    assert.equal(run.output, "tides:1");
  });
});

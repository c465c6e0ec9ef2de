import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type TestContext, test } from "node:test";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, CairnError, loadOneWorkflow, type Store, workflow } from "../src/index.js";
import { openTemp } from "./helpers/engine.js";
import { pgTestDb } from "./helpers/pg.js";
import { tempDir } from "./helpers/temp.js";

/** Plans three topics, writes one section per topic; `broken` topics throw; counts executions per topic. */
function report(state: { broken: Set<string>; calls: Record<string, number> }, maxFailures = 0) {
  return workflow("report")
    .step("plan", async () => ({ topics: ["intro", "method", "results"] }))
    .map(
      "sections",
      { items: "plan", field: "topics", concurrency: 2, key: (topic: string) => topic, maxFailures },
      async (topic, ctx) => {
        state.calls[topic] = (state.calls[topic] ?? 0) + 1;
        if (state.broken.has(topic)) throw new Error(`no sources for ${topic}`);
        return {
          title: topic.toUpperCase(),
          index: ctx.item.index,
          key: ctx.idempotencyKey.split(":").pop(),
        };
      },
    )
    .step("join", async ({ needs }) => needs.sections.map((s) => s?.title ?? "-").join(","));
}

test("a TypeScript map runs every item and its output is the list of item outputs in item order", async () => {
  const { cairn } = await openTemp();
  const state = { broken: new Set<string>(), calls: {} as Record<string, number> };
  const run = await (await cairn.start(report(state), {})).result();
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  assert.equal(run.output, "INTRO,METHOD,RESULTS");
  const sections = (await cairn.get(run.id))!.steps.find((s) => s.stepId === "sections")!;
  assert.deepEqual(sections.output, [
    { title: "INTRO", index: 0, key: "intro" },
    { title: "METHOD", index: 1, key: "method" },
    { title: "RESULTS", index: 2, key: "results" },
  ]);
  assert.deepEqual(state.calls, { intro: 1, method: 1, results: 1 });
  const items = await storeOf(cairn).getItems(run.id, "sections");
  assert.deepEqual(
    items.map((i) => [i.key, i.index, i.status, i.attempts]),
    [
      ["intro", 0, "succeeded", 1],
      ["method", 1, "succeeded", 1],
      ["results", 2, "succeeded", 1],
    ],
  );
});

// Run directories go under a temp dir (a PostgreSQL store puts them under ./.cairn).
process.chdir(tempDir());

const stores: Array<[string, (t: TestContext) => Promise<string | Store | null>]> = [
  ["sqlite", async () => path.join(tempDir(), "cairn.db")],
  ["postgres", async (t) => (await pgTestDb(t))?.open() ?? null],
];

for (const [kind, open] of stores)
  test(`${kind}: a failed item fails the map after every item settled, naming how many and the first; resume runs only it`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      const state = { broken: new Set(["method"]), calls: {} as Record<string, number> };
      const handle = await cairn.start(report(state), {});
      const failed = await handle.result();
      assert.equal(failed.status, "failed");
      assert.match(
        failed.error?.message ?? "",
        /1 of 3 items failed; first: item "method": no sources for method/,
      );
      assert.deepEqual(
        state.calls,
        { intro: 1, method: 1, results: 1 },
        "every item settled before the map failed",
      );

      const plan = await cairn.resumePlan(handle.id);
      const mapStep = plan.steps.find((s) => s.stepId === "sections")!;
      assert.equal(mapStep.action, "retry");
      assert.deepEqual(mapStep.items, { succeeded: 2, failed: 1 });
      assert.match(mapStep.why, /map: 2 succeeded kept, 1 failed to retry/);

      state.broken.clear();
      const run = await (await cairn.resume(handle.id)).result();
      assert.equal(run.status, "succeeded");
      assert.equal(run.output, "INTRO,METHOD,RESULTS");
      assert.deepEqual(state.calls, { intro: 1, method: 2, results: 1 }, "only the failed item ran again");
      const method = (await storeOf(cairn).getItems(run.id, "sections", { status: "succeeded" })).find(
        (i) => i.key === "method",
      );
      assert.equal(method?.attempts, 2);
    } finally {
      await cairn.close({ abort: true });
    }
  });

for (const [kind, open] of stores)
  test(`${kind}: a rerun of chosen items runs only those, reuses the other items, and refuses keys it never recorded`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      const state = { broken: new Set<string>(), calls: {} as Record<string, number> };
      const wf = report(state);
      const source = await (await cairn.start(wf, {})).result();
      assert.equal(source.status, "succeeded");

      const plan = await cairn.rerunPlan(source.id, { from: ["sections"], items: ["method"] });
      const sections = plan.steps.find((s) => s.stepId === "sections")!;
      assert.equal(sections.action, "rerun");
      assert.match(sections.why, /map: 2 succeeded reused, 1 chosen to run again, 0 failed to retry/);
      assert.equal(plan.steps.find((s) => s.stepId === "plan")!.action, "keep");

      const rerun = await (await cairn.rerun(source.id, { from: ["sections"], items: ["method"] })).result();
      assert.equal(rerun.status, "succeeded");
      assert.equal(rerun.output, "INTRO,METHOD,RESULTS");
      assert.deepEqual(state.calls, { intro: 1, method: 2, results: 1 }, "only the chosen item ran again");
      const items = await storeOf(cairn).getItems(rerun.id, "sections");
      assert.deepEqual(
        items.map((i) => [i.key, i.fromRunId]),
        [
          ["intro", source.id],
          ["method", null],
          ["results", source.id],
        ],
      );

      await assert.rejects(
        cairn.rerun(source.id, { from: ["sections"], items: ["methods", "intro"] }),
        (e: CairnError) =>
          e.code === "INVALID_INPUT" &&
          e.message ===
            `Step "sections" of run "${source.id}" has no recorded item "methods" (its items: "intro", "method", "results").`,
      );
      await assert.rejects(
        cairn.rerun(source.id, { from: ["plan"], items: ["intro"] }),
        /Choosing items needs exactly one map step to rerun from\./,
      );
      assert.equal((await cairn.list({ limit: 10 })).length, 2, "a refused rerun records no run");
    } finally {
      await cairn.close({ abort: true });
    }
  });

test("a map reports its progress as a few step.items events with its counts, not one event per item", async () => {
  const { cairn } = await openTemp();
  const wf = workflow<number[]>("progress").map(
    "each",
    { items: "$input", concurrency: 2, maxFailures: 1 },
    async (n: number) => {
      await new Promise((resolve) => setTimeout(resolve, 15));
      if (n === 7) throw new Error("seven is broken");
      return n;
    },
  );
  const run = await (
    await cairn.start(
      wf,
      Array.from({ length: 200 }, (_, i) => i),
    )
  ).result();
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  const progress = (await cairn.events(run.id)).filter((e) => e.type === "step.items");
  // 100 rounds of 15 ms take over a second: at least one report on the way, then the final one.
  assert.ok(progress.length >= 2, `${progress.length} progress events`);
  assert.ok(progress.length < 20, `${progress.length} progress events for 200 items`);
  const counts = progress.map((e) => e.data as { total: number; succeeded: number; failed: number });
  assert.deepEqual(counts.at(-1), { total: 200, succeeded: 199, failed: 1 });
  for (const [i, c] of counts.entries()) {
    assert.equal(c.total, 200);
    if (i > 0) assert.ok(c.succeeded + c.failed > counts[i - 1]!.succeeded + counts[i - 1]!.failed);
  }
  assert.ok(progress.every((e) => e.stepId === "each"));
});

test("maxFailures tolerates failed items (their outputs are null); one more fails the map", async () => {
  const { cairn } = await openTemp();
  const state = { broken: new Set(["results"]), calls: {} as Record<string, number> };
  const ok = await (await cairn.start(report(state, 1), {})).result();
  assert.equal(ok.status, "succeeded");
  assert.equal(ok.output, "INTRO,METHOD,-");
  state.broken.add("intro");
  const failed = await (await cairn.start(report(state, 1), {})).result();
  assert.equal(failed.status, "failed");
  assert.match(failed.error?.message ?? "", /2 of 3 items failed \(at most 1 allowed\); first: item "intro"/);
});

test("items from the run input, per-item retries with backoff, and the default key (the index)", async () => {
  const { cairn } = await openTemp();
  const seen: string[] = [];
  const wf = workflow<{ urls: string[] }>("fetch-all").map(
    "fetch",
    { items: "$input", field: "urls", retry: { attempts: 3, backoff: { initial: "1ms" } } },
    async (url, ctx) => {
      seen.push(`${url}#${ctx.item.attempt}`);
      if (url === "b" && ctx.item.attempt < 3) throw new Error("flaky");
      return url.length;
    },
  );
  const run = await (await cairn.start(wf, { urls: ["a", "b"] })).result();
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, [1, 1]);
  assert.deepEqual(seen.sort(), ["a#1", "b#1", "b#2", "b#3"]);
  const items = await storeOf(cairn).getItems(run.id, "fetch");
  assert.deepEqual(
    items.map((i) => [i.key, i.attempts]),
    [
      ["0", 1],
      ["1", 3],
    ],
  );
});

test("map validation: an unknown source step is one sentence at definition; a non-list is one at run time", async () => {
  assert.throws(
    () =>
      workflow("bad")
        .step("a", async () => 1)
        .map("m", { items: "nope" as "a" }, async () => 1)
        .definition(),
    (error: unknown) =>
      error instanceof CairnError &&
      /step "m": map items come from an unknown step "nope"/.test(error.message),
  );
  const { cairn } = await openTemp();
  const wf = workflow("not-a-list")
    .step("a", async () => ({ n: 3 }))
    .map("m", { items: "a" }, async (x) => x);
  const run = await (await cairn.start(wf, {})).result();
  assert.equal(run.status, "failed");
  assert.equal(run.error?.message, 'Step "m" failed: Map items from a must be a list, got object.');
  const keyed = workflow<string[]>("dup-keys").map(
    "m",
    { items: "$input", key: (s: string) => s },
    async (s) => s,
  );
  const dup = await (await cairn.start(keyed, ["x", "y", "x"])).result();
  assert.equal(
    dup.error?.message,
    'Step "m" failed: Map items 2 and an earlier one share the key "x"; keys must be unique.',
  );
  const many = await (
    await cairn.start(
      keyed,
      Array.from({ length: 100_001 }, (_, i) => String(i)),
    )
  ).result();
  assert.equal(
    many.error?.message,
    'Step "m" failed: Map items from $input: 100001 items, more than the limit of 100000.',
  );
});

/** A keyed (or, with `keyed` false, unkeyed) map over the topics the first step reads from `state`. */
function topicsReport(state: { topics: string[]; calls: Record<string, number> }, keyed: boolean) {
  return workflow("topics")
    .step("plan", async () => ({ topics: state.topics }))
    .map(
      "sections",
      { items: "plan", field: "topics", ...(keyed ? { key: (topic: string) => topic } : {}) },
      async (topic: string) => {
        state.calls[topic] = (state.calls[topic] ?? 0) + 1;
        return topic.toUpperCase();
      },
    )
    .step("join", async ({ needs }) => needs.sections.join(","));
}

for (const [kind, open] of stores)
  test(`${kind}: a rerun from upstream matches a keyed map's items by key: listed keys reused, new keys run, missing keys dropped`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      const state = { topics: ["intro", "method", "results"], calls: {} as Record<string, number> };
      const source = await (await cairn.start(topicsReport(state, true), {})).result();
      assert.equal(source.status, "succeeded");

      state.topics = ["method", "results", "summary"];
      const plan = await cairn.rerunPlan(source.id, { from: ["plan"] });
      const sections = plan.steps.find((s) => s.stepId === "sections")!;
      assert.equal(sections.action, "rerun");
      assert.match(
        sections.why,
        /map: items matched by key once its list is known: of 3 succeeded, listed keys reused, new keys run, missing keys dropped/,
      );
      const rerun = await (await cairn.rerun(source.id, { from: ["plan"] })).result();
      assert.equal(rerun.status, "succeeded", JSON.stringify(rerun.error));
      assert.equal(rerun.output, "METHOD,RESULTS,SUMMARY");
      assert.deepEqual(state.calls, { intro: 1, method: 1, results: 1, summary: 1 }, "only the new key ran");
      const items = await storeOf(cairn).getItems(rerun.id, "sections");
      assert.deepEqual(
        items.map((i) => [i.key, i.index, i.fromRunId]),
        [
          ["method", 0, source.id],
          ["results", 1, source.id],
          ["summary", 2, null],
        ],
        "the dropped key is gone and the reused items take their place in the new list",
      );
      const lines = await cairn.logs(rerun.id, "sections");
      assert.ok(
        lines.some((l) => l.line === "map: 1 recorded items dropped, their keys no longer listed: intro"),
        "the map's log says which keys were dropped",
      );
      assert.equal(
        (await storeOf(cairn).getItems(source.id, "sections")).length,
        3,
        "the source keeps its items",
      );

      // Without a key an item is its position: after a change upstream, every item runs.
      const plain = { topics: ["a", "b"], calls: {} as Record<string, number> };
      const first = await (await cairn.start(topicsReport(plain, false), {})).result();
      plain.topics = ["b", "a"];
      const again = await (await cairn.rerun(first.id, { from: ["plan"] })).result();
      assert.equal(again.output, "B,A");
      assert.deepEqual(plain.calls, { a: 2, b: 2 });
      const unkeyed = (await cairn.rerunPlan(first.id, { from: ["plan"] })).steps.find(
        (s) => s.stepId === "sections",
      )!;
      assert.doesNotMatch(unkeyed.why, /matched by key/);
    } finally {
      await cairn.close({ abort: true });
    }
  });

test("rerun --failed reuses the failed map's succeeded items (provenance: the source run) and runs only the failed one", async () => {
  const { cairn } = await openTemp();
  const state = { broken: new Set(["results"]), calls: {} as Record<string, number> };
  const source = await (await cairn.start(report(state), {})).result();
  assert.equal(source.status, "failed");
  const plan = await cairn.rerunPlan(source.id, { failed: true });
  const sections = plan.steps.find((s) => s.stepId === "sections")!;
  assert.deepEqual(sections.items, { succeeded: 2, failed: 1 });
  assert.match(sections.why, /map: 2 succeeded reused, 1 failed to retry/);

  state.broken.clear();
  const rerun = await (await cairn.rerun(source.id, { failed: true })).result();
  assert.equal(rerun.status, "succeeded");
  assert.equal(rerun.output, "INTRO,METHOD,RESULTS");
  assert.deepEqual(state.calls, { intro: 1, method: 1, results: 2 });
  const items = await storeOf(cairn).getItems(rerun.id, "sections");
  assert.deepEqual(
    items.map((i) => [i.key, i.fromRunId]),
    [
      ["intro", source.id],
      ["method", source.id],
      ["results", null],
    ],
  );

  const from = await (await cairn.rerun(source.id, { from: ["sections"] })).result();
  assert.equal(from.status, "succeeded");
  assert.deepEqual(state.calls, { intro: 2, method: 2, results: 3 }, "a rerun from the map runs every item");
});

test("a resume that executes the map's upstream again forgets the recorded items and runs them all", async () => {
  const { cairn } = await openTemp();
  let version = 1;
  const calls: string[] = [];
  const build = () =>
    workflow("changing")
      .step("plan", { version }, async () => ({ topics: version === 1 ? ["a", "b"] : ["a", "c"] }))
      .map("each", { items: "plan", field: "topics", key: (t: string) => t }, async (t) => {
        calls.push(t);
        if (t === "b") throw new Error("b fails");
        return `${t}${version}`;
      });
  const failed = await (await cairn.start(build(), {})).result();
  assert.equal(failed.status, "failed");
  version = 2;
  await cairn.register(build());
  const run = await (await cairn.resume(failed.id, { onChange: "rerun" })).result();
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  assert.deepEqual(run.output, ["a2", "c2"]);
  assert.deepEqual(calls.sort(), ["a", "a", "b", "c"]);
});

test("ctx.memo inside an item: recorded per item, returned to the item's retries and to a resume", async () => {
  const { cairn } = await openTemp();
  const fetched: string[] = [];
  let broken = true;
  const wf = workflow<{ ids: string[] }>("memo-items").map(
    "each",
    {
      items: "$input",
      field: "ids",
      key: (id: string) => id,
      retry: { attempts: 2, backoff: { initial: "1ms" } },
    },
    async (id, ctx) => {
      // Both items memoize a value under the same memo key: memos are per item.
      const page = await ctx.memo("fetch", () => (fetched.push(id), `page of ${id}`));
      if (id === "b" && broken) throw new Error("parse failed");
      return page;
    },
  );
  const failed = await (await cairn.start(wf, { ids: ["a", "b"] })).result();
  assert.equal(failed.status, "failed");
  assert.deepEqual(fetched.sort(), ["a", "b"], "the retry of b got its memo back");
  broken = false;
  const run = await (await cairn.resume(failed.id)).result();
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, ["page of a", "page of b"]);
  assert.deepEqual(fetched.sort(), ["a", "b"], "the resume of b got its memo back");
});

test("YAML map problems are one sentence each, at their line and column", async () => {
  const file = path.join(tempDir(), "bad-map.yaml");
  fs.writeFileSync(
    file,
    `id: bad
steps:
  - id: plan
    run: echo '[1]' > "$CAIRN_OUTPUT"
  - id: each
    map: { items: plna.topics, concurrency: 0, colour: red }
    run: echo "$CAIRN_ITEM"
  - id: lonely
    map: { items: plan }
    sleep: 1s
`,
  );
  const error = await loadOneWorkflow(file).then(
    () => assert.fail("accepted"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CairnError && error.code === "INVALID_DEFINITION", String(error));
  const problems = (error.details as { problems: string[] }).problems;
  assert.deepEqual(problems, [
    `${file}:6:48: step "each": map: unknown key "colour" (known: items, concurrency, key, maxFailures, retry, timeout)`,
    `${file}:9:10: step "lonely": a map runs "run" (a shell command) or "uses" (a function) per item`,
    `${file}:5:5: step "each": map items come from an unknown step "plna.topics"`,
    `${file}:5:5: step "each": map concurrency must be between 1 and 1000, got 0`,
  ]);
});

test("itemTimeout fails an item that runs too long (its signal is aborted) and the others finish", async () => {
  const { cairn } = await openTemp();
  let aborted = false;
  const wf = workflow<{ waits: number[] }>("slow-items").map(
    "each",
    { items: "$input", field: "waits", itemTimeout: "100ms", maxFailures: 1 },
    async (ms, ctx) => {
      if (ms === 0) return "quick";
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      aborted = ctx.signal.aborted;
      throw ctx.signal.reason;
    },
  );
  const run = await (await cairn.start(wf, { waits: [0, 1] })).result();
  assert.equal(run.status, "succeeded");
  assert.deepEqual(run.output, ["quick", null]);
  assert.ok(aborted, "the slow item's signal was aborted");
  const failed = await storeOf(cairn).getItems(run.id, "each", { status: "failed" });
  assert.deepEqual(
    failed.map((i) => [i.key, i.error?.message]),
    [["1", "Item timed out after 100ms."]],
  );
});

test("a YAML map with uses: calls the function as fn(item, ctx) per item", async () => {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, "words.mjs"),
    "export function measure(word, ctx) { return { word, length: word.length, key: ctx.item.key }; }\n",
  );
  const file = path.join(dir, "words.yaml");
  fs.writeFileSync(
    file,
    `id: words
steps:
  - id: measure
    map: { items: $input.words, concurrency: 2 }
    uses: ./words.mjs#measure
`,
  );
  const { cairn } = await openTemp();
  const run = await (await cairn.start(await loadOneWorkflow(file), { words: ["tide", "moon"] })).result();
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  assert.deepEqual(run.output, [
    { word: "tide", length: 4, key: "0" },
    { word: "moon", length: 4, key: "1" },
  ]);
});

for (const [kind, open] of stores)
  test(`${kind}: an item's checkpoint outlives its failure: its retry and a resume start from the last one`, async (t) => {
    const db = await open(t);
    if (!db) return;
    const cairn = await Cairn.open({ db, pollIntervalMs: 20 });
    try {
      const seen: Array<[number, unknown]> = [];
      let failing = true;
      const wf = workflow("progress")
        .step("list", async () => ["a", "b"])
        .map(
          "work",
          { items: "list", retry: { attempts: 2, backoff: { initial: "1ms" } } },
          async (item, ctx) => {
            if (item === "a") return "A";
            seen.push([ctx.item.attempt, ctx.lastCheckpoint]);
            const done = ((ctx.lastCheckpoint as { done?: number } | undefined)?.done ?? 0) + 1;
            await ctx.checkpoint({ done });
            // Within the interval: held back, and written when the item fails.
            await ctx.checkpoint({ done: done + 1 });
            if (failing) throw new Error("flaky");
            return "B";
          },
        );
      const handle = await cairn.start(wf, {});
      assert.equal((await handle.result()).status, "failed");
      failing = false;
      const run = await (await cairn.resume(handle.id)).result();
      assert.equal(run.status, "succeeded", JSON.stringify(run.error));
      assert.deepEqual(run.output, ["A", "B"]);
      assert.deepEqual(seen, [
        [1, undefined],
        [2, { done: 2 }],
        [3, { done: 4 }],
      ]);
    } finally {
      await cairn.close({ abort: true });
    }
  });

test("a YAML map's shell item has its own $CAIRN_CHECKPOINT and $CAIRN_LAST_CHECKPOINT", async () => {
  const file = path.join(tempDir(), "pages.yaml");
  fs.writeFileSync(
    file,
    `id: pages
steps:
  - id: fetch
    map: { items: $input.pages, key: name }
    run: |
      if [ -n "$CAIRN_LAST_CHECKPOINT" ]; then echo "$CAIRN_LAST_CHECKPOINT" > "$CAIRN_OUTPUT"; exit 0; fi
      echo "{\\"page\\": \\"$CAIRN_ITEM_KEY\\"}" > "$CAIRN_CHECKPOINT"
      exit 1
`,
  );
  const { cairn } = await openTemp();
  const handle = await cairn.start(await loadOneWorkflow(file), { pages: [{ name: "p1" }, { name: "p2" }] });
  assert.equal((await handle.result()).status, "failed");
  const run = await (await cairn.resume(handle.id)).result();
  assert.equal(run.status, "succeeded", JSON.stringify(run.error));
  assert.deepEqual(run.output, [{ page: "p1" }, { page: "p2" }], "each item read back its own checkpoint");
});

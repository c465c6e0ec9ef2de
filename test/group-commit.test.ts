import assert from "node:assert/strict";
import { test } from "node:test";
import type { StepContext, StepHandler } from "../src/core/definition.js";
import { storeOf } from "../src/engine/client-state.js";
import { GroupCommitter } from "../src/engine/group-commit.js";
import { Workflow } from "../src/index.js";
import { gate, openTemp } from "./helpers/engine.js";

// Commits are counted, not timed. No background commit may slip into a count: heartbeats, recovery
// and the idle poll (each a transaction of its own) are pushed far past the length of a test.
const quiet = { recover: false, leaseMs: 120_000, heartbeatMs: 60_000, pollIntervalMs: 60_000 } as const;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

type Handler = (ctx: StepContext<unknown, Record<string, number>>) => Promise<unknown>;

/** A workflow from a list of steps (the typed builder cannot name steps made in a loop). */
function graph(id: string, steps: Array<[id: string, needs: string[], handler: Handler]>): Workflow {
  return new Workflow(
    id,
    {},
    steps.map(([stepId, needs, handler]) => ({
      id: stepId,
      needs,
      handler: handler as StepHandler,
      source: handler.toString(),
    })),
  );
}

/** root → width branches → join. */
function fanOut(id: string, width: number, branch: Handler, join: Handler): Workflow {
  const branches = Array.from({ length: width }, (_, i) => `b${i}`);
  return graph(id, [
    ["root", [], async () => 0],
    ...branches.map((b): [string, string[], Handler] => [b, ["root"], branch]),
    ["join", branches, join],
  ]);
}

test("50 steps finishing together are recorded in far fewer than 50 commits", async () => {
  const width = 50;
  const { cairn } = await openTemp({ ...quiet, concurrency: width + 2 });
  // Every branch waits until all of them run, so all 50 complete in the same turn of the event loop.
  let started = 0;
  const allRunning = gate();
  const branch = async () => {
    started++;
    if (started === width) allRunning.open();
    await allRunning.promise;
    return 1;
  };
  const fan = fanOut("fan", width, branch, async ({ needs }) =>
    Object.values(needs).reduce((a, b) => a + b, 0),
  );
  await cairn.register(fan);
  const before = storeOf(cairn).stats.commits;
  const run = await (await cairn.start(fan, {})).result();
  const commits = storeOf(cairn).stats.commits - before;
  assert.equal(run.status, "succeeded");
  assert.equal(run.output, width);
  // start, claim of root, root's completion (which also claims the 50 branches), the branches'
  // completions (which also claim the join), the join's completion: about 5, far fewer than 52 steps.
  assert.ok(commits < width, `${commits} commits for ${width} concurrent completions`);
  assert.ok(commits <= 8, `${commits} commits: the 50 completions were not batched`);
});

test("with the default concurrency, concurrent completions still share commits", async () => {
  const width = 50;
  const { cairn } = await openTemp(quiet);
  const fan = fanOut(
    "fan-default",
    width,
    async () => 1,
    async () => "done",
  );
  await cairn.register(fan);
  const before = storeOf(cairn).stats.commits;
  const run = await (await cairn.start(fan, {})).result();
  const commits = storeOf(cairn).stats.commits - before;
  assert.equal(run.status, "succeeded");
  assert.ok(commits < width, `${commits} commits for ${width} completions, 8 at a time`);
});

test("a chain of K steps needs one commit per step, plus start and first claim", async () => {
  const steps = 30;
  const { cairn } = await openTemp(quiet);
  const wf = graph(
    "chain",
    Array.from({ length: steps }, (_, i): [string, string[], Handler] =>
      i === 0
        ? ["s0", [], async () => 0]
        : [`s${i}`, [`s${i - 1}`], async ({ needs }) => needs[`s${i - 1}`]! + 1],
    ),
  );
  await cairn.register(wf);
  const before = storeOf(cairn).stats.commits;
  const run = await (await cairn.start(wf, {})).result();
  const commits = storeOf(cairn).stats.commits - before;
  assert.equal(run.status, "succeeded");
  assert.equal(run.output, steps - 1);
  // Each completion also claims the next step: no claim transaction, no extra commit per step.
  assert.ok(commits >= steps, `${commits} commits: sequential completions cannot share one`);
  assert.ok(commits <= steps + 5, `${commits} commits for ${steps} sequential steps`);
});

test("group commit: one submit is committed on the next turn, without waiting for a timer", async () => {
  const batches: number[][] = [];
  const committer = new GroupCommitter<number, number>(
    async (items) => {
      batches.push(items);
      return items.length;
    },
    () => undefined,
  );
  const lone = committer.submit(1);
  await nextTurn();
  await lone;
  assert.deepEqual(batches, [[1]], "a lone item was committed at once, alone");
});

test("group commit: items submitted together share a commit; items arriving during a commit share the next", async () => {
  const batches: number[][] = [];
  const release = gate();
  let calls = 0;
  const committer = new GroupCommitter<number, void>(
    async (items) => {
      batches.push(items);
      // The first commit is slow (an fsync): everything submitted meanwhile waits for the next one.
      if (++calls === 1) await release.promise;
    },
    () => undefined,
  );
  const first = [committer.submit(1), committer.submit(2), committer.submit(3)];
  await nextTurn();
  assert.deepEqual(batches, [[1, 2, 3]]);
  const second = [committer.submit(4), committer.submit(5)];
  await nextTurn();
  assert.equal(batches.length, 1, "no second commit while the first is being written");
  release.open();
  await Promise.all([...first, ...second]);
  assert.deepEqual(batches, [
    [1, 2, 3],
    [4, 5],
  ]);
});

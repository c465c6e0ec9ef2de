import assert from "node:assert/strict";
import { test } from "node:test";
import { storeOf } from "../src/engine/client-state.js";
import { workflow } from "../src/index.js";
import { gate, openTemp } from "./helpers/engine.js";
import { until } from "./helpers/temp.js";

test("parallel branches run concurrently and the join receives both outputs", async () => {
  const { cairn } = await openTemp();
  const started = new Set<string>();
  const bothRunning = gate();
  const branch = (id: string) => async () => {
    started.add(id);
    if (started.has("left") && started.has("right")) bothRunning.open();
    await bothRunning.promise; // deadlocks (and the test times out) unless both run at once
    return { id, n: id.length };
  };
  const wf = workflow("diamond")
    .step("root", async () => ({ base: 100 }))
    .step("left", { needs: ["root"] }, branch("left"))
    .step("right", { needs: ["root"] }, branch("right"))
    .step(
      "join",
      { needs: ["left", "right", "root"] },
      async ({ needs }) => needs.root.base + needs.left.n + needs.right.n,
    );
  const run = await (await cairn.start(wf, {})).result();
  assert.equal(run.status, "succeeded");
  assert.equal(run.output, 109);
});

test("retries follow the backoff policy and the run succeeds on the third attempt", async () => {
  const { cairn } = await openTemp();
  const attempts: number[] = [];
  const wf = workflow("flaky").step(
    "call",
    { retry: { attempts: 3, backoff: { initial: 40, factor: 2, max: 1000 } } },
    async ({ step }) => {
      attempts.push(step.attempt);
      if (step.attempt < 3) throw new Error(`boom ${step.attempt}`);
      return "ok";
    },
  );
  const handle = await cairn.start(wf, {});
  const run = await handle.result();
  assert.equal(run.status, "succeeded");
  assert.deepEqual(attempts, [1, 2, 3]);
  const starts = (await cairn.events(handle.id)).filter((e) => e.type === "step.started").map((e) => e.at);
  assert.equal(starts.length, 3);
  assert.ok(starts[1]! - starts[0]! >= 40, `first backoff ${starts[1]! - starts[0]!}ms should be >= 40ms`);
  assert.ok(starts[2]! - starts[1]! >= 80, `second backoff ${starts[2]! - starts[1]!}ms should be >= 80ms`);
  const retrying = (await cairn.events(handle.id)).filter((e) => e.type === "step.retrying");
  assert.equal(retrying.length, 2);
});

test("a step that exhausts its retries fails the run; independent branches keep running", async () => {
  const { cairn } = await openTemp();
  const ran: string[] = [];
  const wf = workflow("partial")
    .step("bad", { needs: [], retry: { attempts: 2, backoff: { initial: 1 } } }, async () => {
      ran.push("bad");
      throw new Error("upstream API said no");
    })
    .step("after-bad", { needs: ["bad"] }, async () => ran.push("after-bad"))
    .step("good", { needs: [] }, async ({ run }) => {
      // Still in flight when the failure of `bad` is recorded.
      await until(
        async () => (await storeOf(cairn).getSteps(run.id, ["bad"]))[0]?.status === "failed",
        "bad to fail",
      );
      ran.push("good");
      return 1;
    })
    .step("after-good", { needs: ["good"] }, async () => {
      ran.push("after-good");
      return 2;
    });
  const handle = await cairn.start(wf, {});
  const run = await handle.result();
  assert.equal(run.status, "failed");
  assert.match(run.error!.message, /Step "bad" failed: upstream API said no/);
  assert.deepEqual(ran.filter((r) => r === "bad").length, 2);
  assert.ok(ran.includes("after-good"), "the independent branch ran to the end");
  assert.ok(!ran.includes("after-bad"));
  const steps = new Map((await cairn.get(handle.id))!.steps.map((s) => [s.stepId, s]));
  assert.equal(steps.get("bad")!.status, "failed");
  assert.equal(steps.get("bad")!.attempts, 2);
  assert.equal(steps.get("after-bad")!.status, "pending");
  assert.equal(steps.get("after-good")!.status, "succeeded");
});

test("failFast stops scheduling new steps once a step failed; steps in flight finish", async () => {
  for (const failFast of [true, false]) {
    const { cairn } = await openTemp();
    const ran: string[] = [];
    const slowStarted = gate();
    const wf = workflow("ff", { failFast })
      .step("slow", { needs: [] }, async ({ run }) => {
        slowStarted.open();
        // Still in flight when the failure of `fails` is recorded.
        await until(
          async () => (await storeOf(cairn).getSteps(run.id, ["fails"]))[0]?.status === "failed",
          "fails to fail",
        );
        ran.push("slow");
      })
      .step("fails", { needs: [] }, async () => {
        await slowStarted.promise;
        throw new Error("no");
      })
      .step("next", { needs: ["slow"] }, async () => ran.push("next"));
    const run = await (await cairn.start(wf, {})).result();
    assert.equal(run.status, "failed");
    assert.ok(ran.includes("slow"), "the step in flight finished");
    assert.equal(
      ran.includes("next"),
      !failFast,
      `failFast=${failFast}: next ${failFast ? "must not" : "must"} run`,
    );
  }
});

test("starting with an existing run id returns that run instead of starting a second one", async () => {
  const { cairn } = await openTemp();
  let calls = 0;
  const wf = workflow("once").step("s", async () => ++calls);
  const first = await cairn.start(wf, {}, { runId: "order-42" });
  await first.result();
  const second = await cairn.start(wf, { other: true }, { runId: "order-42" });
  assert.equal(second.id, "order-42");
  assert.deepEqual(second.run.input, {});
  assert.equal((await second.result()).output, 1);
  assert.equal(calls, 1);
  assert.equal((await cairn.list({})).length, 1);
});

test("a non-JSON output is a clear step error, a large output is stored with a warning", async () => {
  const { cairn } = await openTemp();
  const bad = workflow("bad-output").step("s", async () => ({ when: new Map([[1, 2]]) }));
  const failed = await (await cairn.start(bad, {})).result();
  assert.equal(failed.status, "failed");
  assert.match(failed.error!.message, /output\.when is a Map, which JSON cannot hold/);

  const big = workflow("big-output").step("s", async () => "x".repeat(1024 * 1024 + 10));
  const handle = await cairn.start(big, {});
  const run = await handle.result();
  assert.equal(run.status, "succeeded");
  assert.equal((run.output as string).length, 1024 * 1024 + 10);
  const logs = await cairn.logs(handle.id, "s");
  assert.ok(
    logs.some((l) => /output is 1\.0 MiB/.test(l.line)),
    JSON.stringify(logs),
  );
});

test("a step past its timeout is aborted and fails with a timeout error", async () => {
  const { cairn } = await openTemp();
  let sawAbort = false;
  const wf = workflow("slowpoke").step("wait", { timeout: 50 }, async ({ signal }) => {
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
    sawAbort = true;
    throw signal.reason;
  });
  const run = await (await cairn.start(wf, {})).result();
  assert.equal(run.status, "failed");
  assert.match(run.error!.message, /timed out after 50ms/);
  assert.ok(sawAbort, "the handler's AbortSignal fired");
});

test("the handler context carries run and step identity, a stable idempotency key and a stored logger", async () => {
  const { cairn } = await openTemp();
  const keys: string[] = [];
  const wf = workflow("ctx").step("s", { retry: { attempts: 2, backoff: { initial: 1 } } }, async (ctx) => {
    keys.push(ctx.idempotencyKey);
    ctx.log("attempt %d of step %s", ctx.step.attempt, ctx.step.id);
    ctx.log.warn("careful");
    if (ctx.step.attempt === 1) throw new Error("first fails");
    return { run: ctx.run.id, attempt: ctx.step.attempt, runAttempt: ctx.run.attempt };
  });
  const handle = await cairn.start(wf, {});
  const run = await handle.result();
  assert.deepEqual(run.output, { run: handle.id, attempt: 2, runAttempt: 1 });
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1]);
  const lines = (await cairn.logs(handle.id)).map((l) => `${l.attempt}:${l.line}`);
  assert.ok(lines.includes("1:attempt 1 of step s"));
  assert.ok(lines.includes("2:attempt 2 of step s"));
  assert.ok(lines.includes("2:warn: careful"));
});

test("an existing run id of another tenant or workflow is refused, never returned", async () => {
  const { cairn } = await openTemp();
  const wf = workflow("owned").step("s", async () => 1);
  await (await cairn.start(wf, {}, { runId: "shared-id", tenant: "acme" })).result();
  await assert.rejects(
    cairn.start(wf, {}, { runId: "shared-id", tenant: "globex" }),
    /Run id "shared-id" is already taken; choose another\./,
  );
  const other = workflow("other").step("s", async () => 2);
  await assert.rejects(
    cairn.start(other, {}, { runId: "shared-id", tenant: "acme" }),
    /already a run of workflow "owned"/,
  );
  assert.equal((await cairn.start(wf, {}, { runId: "shared-id", tenant: "acme" })).id, "shared-id");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { storeOf } from "../../src/engine/client-state.js";
import {
  HistorySchema,
  LatestFailedSchema,
  ResumePlanResponseSchema,
  ResumeResultSchema,
  RunDetailSchema,
  RunPageSchema,
  RunSchema,
  StepDetailSchema,
  WorkflowListSchema,
  WorkflowSchema,
} from "../../src/server/schemas.js";
import { assertErrorShape, startServer, type TestServer } from "./helpers.js";
import { SseClient } from "./sse-client.js";
import { controls, flaky, gated, quick, resetGate, typed } from "./workflows.js";

const s = await startServer({ workflows: [flaky, gated, quick, typed] });

test("GET /api/workflows lists every registered workflow; GET /api/workflows/:id is its graph", async () => {
  const list = await s.api("/api/workflows", { token: s.tokens.acme });
  assert.equal(list.status, 200);
  WorkflowListSchema.parse(list.body);
  assert.deepEqual(
    list.body.workflows.map((w: { id: string }) => w.id),
    ["flaky", "gated", "quick", "typed"],
  );
  assert.equal(list.body.workflows.find((w: { id: string }) => w.id === "typed").hasInputSchema, true);

  const graph = await s.api("/api/workflows/flaky", { token: s.tokens.acme });
  assert.equal(graph.status, 200);
  WorkflowSchema.parse(graph.body);
  assert.deepEqual(
    graph.body.steps.map((st: { id: string; needs: string[]; label: string | null }) => [
      st.id,
      st.needs,
      st.label,
    ]),
    [
      ["fetch", [], "Fetch rows"],
      ["parse", ["fetch"], "Parse rows"],
      ["report", ["parse"], null],
    ],
  );
  assert.equal(graph.body.inputSchema, null);
  const typed = await s.api("/api/workflows/typed", { token: s.tokens.acme });
  assert.deepEqual(typed.body.inputSchema.properties, { name: { type: "string", minLength: 1 } });
  assert.deepEqual(typed.body.inputSchema.required, ["name"]);
});

test("POST /api/workflows/:id/runs: 201 with the run; the same runId answers 200 with that run, never a second one", async () => {
  const first = await s.api("/api/workflows/quick/runs", {
    token: s.tokens.acme,
    json: { input: { n: 1 }, runId: "quick-once" },
  });
  assert.equal(first.status, 201, first.text);
  RunDetailSchema.parse(first.body);
  assert.equal(first.body.id, "quick-once");
  assert.equal(first.body.tenant, "acme");
  assert.deepEqual(first.body.input, { n: 1 });
  assert.deepEqual(
    first.body.steps.map((st: { id: string }) => st.id),
    ["one", "two"],
  );

  const again = await s.api("/api/workflows/quick/runs", {
    token: s.tokens.acme,
    json: { input: { n: 2 }, runId: "quick-once" },
  });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.id, "quick-once");
  assert.deepEqual(again.body.input, { n: 1 }, "the existing run, not a new one with the new input");

  // Racing starts with one new runId: exactly one creates it (three rounds, to give the race a chance).
  for (const round of [1, 2, 3]) {
    const runId = `quick-race-${round}`;
    const racing = await Promise.all(
      Array.from({ length: 10 }, () =>
        s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: { runId } }),
      ),
    );
    assert.deepEqual(
      racing.map((r) => r.status).sort(),
      [200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
      racing.map((r) => r.text).join("\n"),
    );
    assert.equal((await storeOf(s.cairn).listRuns({ limit: 1000 })).filter((r) => r.id === runId).length, 1);
    assert.equal((await s.cairn.history(runId)).length, 1, "one start recorded");
    await s.waitForStatus(runId, ["succeeded"]);
  }
});

test("start → fail → GET latest-failed → rerun {failed:true} → succeeds, reusing what succeeded", async () => {
  controls.failParse = true;
  const started = await s.api("/api/workflows/flaky/runs", { token: s.tokens.acme, json: {} });
  assert.equal(started.status, 201, started.text);
  const failed = await s.waitForStatus(started.body.id, ["failed", "succeeded"]);
  assert.equal(failed.body.status, "failed");

  const latest = await s.api("/api/workflows/flaky/latest-failed", { token: s.tokens.acme });
  assert.equal(latest.status, 200, latest.text);
  LatestFailedSchema.parse(latest.body);
  assert.equal(latest.body.run.id, started.body.id);
  assert.deepEqual(latest.body.failed, [
    { stepId: "parse", label: "Parse rows", error: "parse exploded at row 3" },
  ]);

  controls.failParse = false;
  const rerun = await s.api(`/api/runs/${started.body.id}/rerun`, {
    token: s.tokens.acme,
    json: { failed: true },
  });
  assert.equal(rerun.status, 201, rerun.text);
  RunDetailSchema.parse(rerun.body);
  assert.notEqual(rerun.body.id, started.body.id);
  assert.equal(rerun.body.origin, "rerun");
  assert.equal(rerun.body.parentRunId, started.body.id);
  const done = await s.waitForStatus(rerun.body.id, ["succeeded", "failed"]);
  assert.equal(done.body.status, "succeeded");
  assert.equal(done.body.output, "parsed 3");
  const fetch = done.body.steps.find((st: { id: string }) => st.id === "fetch");
  assert.deepEqual(fetch.provenance, { kind: "reused", fromRunId: started.body.id });

  const parent = await s.api(`/api/runs/${started.body.id}`, { token: s.tokens.acme });
  assert.deepEqual(parent.body.lineage.children, [
    { id: rerun.body.id, origin: "rerun", status: "succeeded" },
  ]);
});

test("GET latest-failed answers 404 when the workflow has no failed run, or does not exist", async () => {
  assertErrorShape(
    await s.api("/api/workflows/typed/latest-failed", { token: s.tokens.acme }),
    404,
    "NOT_FOUND",
  );
  assertErrorShape(
    await s.api("/api/workflows/nope/latest-failed", { token: s.tokens.acme }),
    404,
    "NOT_FOUND",
  );
});

test("resume plan, then resume of a failed run: the same run continues in place and succeeds", async () => {
  controls.failParse = true;
  const started = await s.api("/api/workflows/flaky/runs", { token: s.tokens.acme, json: {} });
  await s.waitForStatus(started.body.id, ["failed"]);

  const plan = await s.api(`/api/runs/${started.body.id}/resume-plan`, { token: s.tokens.acme });
  assert.equal(plan.status, 200, plan.text);
  ResumePlanResponseSchema.parse(plan.body);
  assert.deepEqual(
    plan.body.steps.map((st: { stepId: string; action: string }) => [st.stepId, st.action]),
    [
      ["fetch", "keep"],
      ["parse", "retry"],
      ["report", "run"],
    ],
  );
  assert.equal(plan.body.refusal, null);
  const blocked = await s.api(`/api/runs/${started.body.id}/resume-plan?retryFailed=false`, {
    token: s.tokens.acme,
  });
  assert.equal(blocked.body.steps[1].action, "blocked", "query options reach the plan");
  const marked = await s.api(`/api/runs/${started.body.id}/resume-plan?markDone=parse`, {
    token: s.tokens.acme,
  });
  assert.equal(marked.status, 200, marked.text);
  assert.deepEqual(
    marked.body.steps.map((st: { stepId: string; action: string }) => [st.stepId, st.action]),
    [
      ["fetch", "keep"],
      ["parse", "mark-done"],
      ["report", "run"],
    ],
  );
  const markedDone = await s.api(`/api/runs/${started.body.id}/resume-plan?markDone=fetch`, {
    token: s.tokens.acme,
  });
  assert.match(markedDone.body.refusal, /Step "fetch" already succeeded; only a step that did not succeed/);
  assert.equal((await s.cairn.history(started.body.id)).length, 1, "the plan changed nothing");

  controls.failParse = false;
  const resumed = await s.api(`/api/runs/${started.body.id}/resume`, {
    token: s.tokens.acme,
    json: { retryFailed: true },
  });
  assert.equal(resumed.status, 200, resumed.text);
  ResumeResultSchema.parse(resumed.body);
  assert.equal(resumed.body.run.id, started.body.id);
  assert.equal(resumed.body.run.attempt, 2);
  assert.equal(resumed.body.plan.summary.retry, 1);
  const done = await s.waitForStatus(started.body.id, ["succeeded", "failed"]);
  assert.equal(done.body.status, "succeeded");

  const history = await s.api(`/api/runs/${started.body.id}/history`, { token: s.tokens.acme });
  assert.equal(history.status, 200);
  HistorySchema.parse(history.body);
  assert.deepEqual(
    history.body.attempts.map((a: { action: string; trigger: string; actor: string; outcome: string }) => [
      a.action,
      a.trigger,
      a.actor,
      a.outcome,
    ]),
    [
      ["start", "api", s.tokenIds.acme, "failed"],
      ["resume", "api", s.tokenIds.acme, "succeeded"],
    ],
  );

  // Resuming a succeeded run is refused with its status.
  const again = await s.api(`/api/runs/${started.body.id}/resume`, { token: s.tokens.acme, method: "POST" });
  assertErrorShape(again, 409, "CONFLICT");
  assert.deepEqual(again.body.error.details, { status: "succeeded" });
  const planAgain = await s.api(`/api/runs/${started.body.id}/resume-plan`, { token: s.tokens.acme });
  assertErrorShape(planAgain, 409, "CONFLICT");
});

test("restart: 201 with a new run of the same input that executes every step again", async () => {
  const started = await s.api("/api/workflows/typed/runs", {
    token: s.tokens.acme,
    json: { input: { name: "Ada" } },
  });
  await s.waitForStatus(started.body.id, ["succeeded"]);
  const restarted = await s.api(`/api/runs/${started.body.id}/restart`, {
    token: s.tokens.acme,
    method: "POST",
  });
  assert.equal(restarted.status, 201, restarted.text);
  RunDetailSchema.parse(restarted.body);
  assert.notEqual(restarted.body.id, started.body.id);
  assert.equal(restarted.body.origin, "restart");
  assert.deepEqual(restarted.body.input, { name: "Ada" });
  const done = await s.waitForStatus(restarted.body.id, ["succeeded", "failed"]);
  assert.equal(done.body.output, "hello Ada");
  assert.equal(done.body.steps[0].provenance, null, "executed, not reused");
});

test("GET /api/runs: newest first, cursor pagination without gaps or repeats, filters by workflow and status", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: { input: { i } } });
    ids.push(res.body.id);
  }
  for (const id of ids) await s.waitForStatus(id, ["succeeded"]);
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: Awaited<ReturnType<TestServer["api"]>> = await s.api(
      `/api/runs?workflow=quick&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      { token: s.tokens.acme },
    );
    assert.equal(res.status, 200, res.text);
    RunPageSchema.parse(res.body);
    seen.push(...res.body.runs.map((r: { id: string }) => r.id));
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 20);
  const quickRuns = (await storeOf(s.cairn).listRuns({ workflowId: "quick", limit: 100 })).map((r) => r.id);
  assert.deepEqual(seen, quickRuns, "every quick run once, newest first");
  assert.deepEqual(seen.slice(0, 5), [...ids].reverse());

  const failedOnly = await s.api("/api/runs?status=failed", { token: s.tokens.acme });
  assert.ok(failedOnly.body.runs.length > 0);
  assert.ok(failedOnly.body.runs.every((r: { status: string }) => r.status === "failed"));
  const succeededFlaky = await s.api("/api/runs?status=succeeded&workflow=flaky", { token: s.tokens.acme });
  assert.ok(succeededFlaky.body.runs.every((r: { workflowId: string }) => r.workflowId === "flaky"));
});

test("GET /api/runs: eventSeq is where following /api/events starts, with every later change and none before", async () => {
  const before = await s.api("/api/workflows/quick/runs", {
    token: s.tokens.acme,
    json: { input: { i: 1 } },
  });
  await s.waitForStatus(before.body.id, ["succeeded"]);
  const page = await s.api("/api/runs?limit=1", { token: s.tokens.acme });
  assert.equal(page.status, 200);
  const latest = (await storeOf(s.cairn).readEvents({ afterSeq: 0, limit: 1_000_000 })).at(-1)!.seq;
  assert.equal(page.body.eventSeq, latest, "the newest event when the page was read");

  const stream = await SseClient.connect(`${s.url}/api/events?after=${page.body.eventSeq}`, {
    token: s.tokens.acme,
  });
  try {
    const after = await s.api("/api/workflows/quick/runs", {
      token: s.tokens.acme,
      json: { input: { i: 2 } },
    });
    await stream.waitFor(
      () => stream.messages.some((m) => m.data.runId === after.body.id && m.data.type === "run.succeeded"),
      "the new run's events",
    );
    assert.ok(
      stream.messages.every((m) => m.data.seq > page.body.eventSeq && m.data.runId !== before.body.id),
      "nothing from before the page",
    );
  } finally {
    stream.close();
  }
});

test("GET /api/runs/:id/steps/:stepId: the step with its logs, checkpoint, memos and its own code's stack; no server stack anywhere", async () => {
  controls.failParse = true;
  const started = await s.api("/api/workflows/flaky/runs", { token: s.tokens.acme, json: {} });
  await s.waitForStatus(started.body.id, ["failed"]);
  const step = await s.api(`/api/runs/${started.body.id}/steps/parse`, { token: s.tokens.acme });
  assert.equal(step.status, 200, step.text);
  StepDetailSchema.parse(step.body);
  assert.equal(step.body.status, "failed");
  assert.equal(step.body.label, "Parse rows");
  assert.match(step.body.error.message, /^parse exploded at row 3/);
  // The step detail carries the stack the step's own code threw (the UI's side panel shows it)…
  assert.match(step.body.error.stack, /parse exploded at row 3[\s\S]*\n\s+at /);
  assert.ok(Array.isArray(step.body.memos));
  assert.deepEqual(step.body.checkpoint, { parsed: 2 });
  assert.ok(
    step.body.logs.some((l: { line: string }) => l.line.includes("parsing 3 rows")),
    step.text,
  );

  const run = await s.api(`/api/runs/${started.body.id}`, { token: s.tokens.acme });
  // …but the run and its step list never do.
  assert.doesNotMatch(run.text, /\n\s+at /, "no stack trace in the run");
  assertErrorShape(
    await s.api(`/api/runs/${started.body.id}/steps/nope`, { token: s.tokens.acme }),
    404,
    "NOT_FOUND",
  );
});

test("pause and cancel: 200 with the run; an action its state forbids is 409 with the current status", async () => {
  resetGate();
  const paused = await s.api("/api/workflows/gated/runs", { token: s.tokens.acme, json: {} });
  const pause = await s.api(`/api/runs/${paused.body.id}/pause`, { token: s.tokens.acme, method: "POST" });
  assert.equal(pause.status, 200, pause.text);
  RunSchema.parse(pause.body);
  assert.equal(pause.body.status, "paused");
  const pauseAgain = await s.api(`/api/runs/${paused.body.id}/pause`, {
    token: s.tokens.acme,
    method: "POST",
  });
  assertErrorShape(pauseAgain, 409, "CONFLICT");
  assert.deepEqual(pauseAgain.body.error.details, { status: "paused" });

  const cancel = await s.api(`/api/runs/${paused.body.id}/cancel`, { token: s.tokens.acme, json: {} });
  assert.equal(cancel.status, 200, cancel.text);
  assert.equal(cancel.body.status, "cancelled");
  const cancelAgain = await s.api(`/api/runs/${paused.body.id}/cancel`, {
    token: s.tokens.acme,
    method: "POST",
  });
  assertErrorShape(cancelAgain, 409, "CONFLICT");
  assert.deepEqual(cancelAgain.body.error.details, { status: "cancelled" });
  controls.gate.open();
  const view = await s.api(`/api/runs/${paused.body.id}`, { token: s.tokens.acme });
  assert.equal(view.body.status, "cancelled");
});

test("every run the API returns carries `actions`: what its status allows now, and why not otherwise", async () => {
  const allowed = (body: { actions: Record<string, { allowed: boolean }> }) =>
    Object.entries(body.actions)
      .filter(([, a]) => a.allowed)
      .map(([name]) => name);
  resetGate();
  const started = await s.api("/api/workflows/gated/runs", { token: s.tokens.acme, json: {} });
  const runId = started.body.id;
  assert.equal(started.body.status, "running");
  assert.deepEqual(allowed(started.body), ["cancel", "pause"]);
  assert.deepEqual(started.body.actions.resume, {
    allowed: false,
    reason: `Run "${runId}" is still running. Wait for it to finish, or cancel or pause it first.`,
  });

  const paused = await s.api(`/api/runs/${runId}/pause`, { token: s.tokens.acme, method: "POST" });
  RunSchema.parse(paused.body);
  assert.deepEqual(allowed(paused.body), ["resume", "cancel"]);
  assert.deepEqual(paused.body.actions.resume, { allowed: true, reason: null });
  // The refusal the API answers with is the reason it showed.
  const refused = await s.api(`/api/runs/${runId}/pause`, { token: s.tokens.acme, method: "POST" });
  assertErrorShape(refused, 409, "CONFLICT");
  assert.equal(refused.body.error.message, paused.body.actions.pause.reason);

  const cancelled = await s.api(`/api/runs/${runId}/cancel`, { token: s.tokens.acme, method: "POST" });
  assert.deepEqual(allowed(cancelled.body), ["resume", "restart", "rerun"]);
  controls.gate.open();
  const listed = await s.api("/api/runs?workflow=gated&status=cancelled", { token: s.tokens.acme });
  RunPageSchema.parse(listed.body);
  const inList = listed.body.runs.find((r: { id: string }) => r.id === runId);
  assert.deepEqual(inList.actions, cancelled.body.actions);

  const quickRun = await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} });
  await s.waitForStatus(quickRun.body.id, ["succeeded"]);
  const succeeded = await s.api(`/api/runs/${quickRun.body.id}`, { token: s.tokens.acme });
  RunDetailSchema.parse(succeeded.body);
  assert.deepEqual(allowed(succeeded.body), ["restart", "rerun"]);
  assert.match(succeeded.body.actions.resume.reason, /already succeeded, so there is nothing to resume/);
});

test("restart or rerun of a live run is 409 with its status", async () => {
  resetGate();
  const live = await s.api("/api/workflows/gated/runs", { token: s.tokens.acme, json: {} });
  const restart = await s.api(`/api/runs/${live.body.id}/restart`, { token: s.tokens.acme, method: "POST" });
  assertErrorShape(restart, 409, "CONFLICT");
  assert.deepEqual(restart.body.error.details, { status: "running" });
  const rerun = await s.api(`/api/runs/${live.body.id}/rerun`, {
    token: s.tokens.acme,
    json: { from: ["wait"] },
  });
  assertErrorShape(rerun, 409, "CONFLICT");
  const resume = await s.api(`/api/runs/${live.body.id}/resume`, { token: s.tokens.acme, method: "POST" });
  assertErrorShape(resume, 409, "CONFLICT");
  assert.deepEqual(resume.body.error.details, { status: "running" });
  controls.gate.open();
  await s.waitForStatus(live.body.id, ["succeeded"]);
});

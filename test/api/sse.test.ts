import assert from "node:assert/strict";
import { test } from "node:test";
import { storeOf } from "../../src/engine/client-state.js";
import { EventSchema } from "../../src/server/schemas.js";
import { startServer } from "./helpers.js";
import { SseClient } from "./sse-client.js";
import { controls, gated, quick, resetGate } from "./workflows.js";

const s = await startServer({ workflows: [gated, quick], app: { ssePollMs: 50, sseKeepAliveMs: 300 } });

async function storeSeqs(runId: string): Promise<number[]> {
  return (await s.cairn.events(runId)).map((e) => e.seq);
}

function assertStrictlyIncreasing(seqs: readonly number[]): void {
  for (let i = 1; i < seqs.length; i++)
    assert.ok(seqs[i]! > seqs[i - 1]!, `seq ${seqs[i]} after ${seqs[i - 1]}: out of order or repeated`);
}

test("GET /api/runs/:id/events: every event of the run, in order, each with id = its store seq", async () => {
  resetGate();
  const started = await s.api("/api/workflows/gated/runs", { token: s.tokens.acme, json: {} });
  const runId = started.body.id as string;
  const client = await SseClient.connect(`${s.url}/api/runs/${runId}/events`, { token: s.tokens.acme });
  try {
    assert.equal(client.status, 200);
    assert.match(client.contentType, /^text\/event-stream/);
    await client.waitForType("step.started");
    controls.gate.open();
    await client.waitForType("run.succeeded", runId);
    for (const m of client.messages) {
      EventSchema.parse(m.data);
      assert.equal(m.id, String(m.data.seq));
      assert.equal(m.data.runId, runId);
    }
    const seqs = client.messages.map((m) => m.data.seq as number);
    assertStrictlyIncreasing(seqs);
    assert.deepEqual(seqs, await storeSeqs(runId), "exactly the run's events in the store");
    assert.deepEqual(
      client.messages.filter((m) => m.data.stepId === "wait").map((m) => m.data.type),
      ["step.started", "step.succeeded"],
    );
    assert.equal(client.messages[0]!.data.type, "run.created");
    assert.equal(client.messages.at(-1)!.data.type, "run.succeeded");
  } finally {
    client.close();
  }
});

test("disconnect mid-run, reconnect with Last-Event-ID: no event missed, none repeated", async () => {
  resetGate();
  const started = await s.api("/api/workflows/gated/runs", { token: s.tokens.acme, json: {} });
  const runId = started.body.id as string;
  const url = `${s.url}/api/runs/${runId}/events`;
  const first = await SseClient.connect(url, { token: s.tokens.acme });
  await first.waitFor(
    () => first.messages.some((m) => m.data.type === "step.started" && m.data.stepId === "wait"),
    "the wait step to start",
  );
  first.close();
  const before = [...first.messages];
  const lastEventId = before.at(-1)!.id!;

  // The run goes on while nobody listens.
  controls.gate.open();
  await s.waitForStatus(runId, ["succeeded"]);

  const second = await SseClient.connect(url, { token: s.tokens.acme, lastEventId });
  try {
    await second.waitForType("run.succeeded", runId);
    assert.ok(Number(second.messages[0]!.id) > Number(lastEventId), "starts after the last event received");
    assert.ok(
      second.messages.some((m) => m.data.type === "step.succeeded" && m.data.stepId === "wait"),
      "got the events that happened while disconnected",
    );
    const seqs = [...before, ...second.messages].map((m) => m.data.seq as number);
    assertStrictlyIncreasing(seqs);
    assert.deepEqual(seqs, await storeSeqs(runId), "together: exactly the run's events");
  } finally {
    second.close();
  }
});

test("?after=<seq> starts a stream after that event; Last-Event-ID wins over it", async () => {
  const started = await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} });
  const runId = started.body.id as string;
  await s.waitForStatus(runId, ["succeeded"]);
  const seqs = await storeSeqs(runId);
  const middle = seqs[2]!;
  const after = await SseClient.connect(`${s.url}/api/runs/${runId}/events?after=${middle}`, {
    token: s.tokens.acme,
  });
  const both = await SseClient.connect(`${s.url}/api/runs/${runId}/events?after=${middle}`, {
    token: s.tokens.acme,
    lastEventId: String(seqs[0]),
  });
  try {
    await after.waitForType("run.succeeded");
    await both.waitForType("run.succeeded");
    assert.deepEqual(
      after.messages.map((m) => m.data.seq),
      seqs.filter((q) => q > middle),
    );
    assert.deepEqual(
      both.messages.map((m) => m.data.seq),
      seqs.slice(1),
    );
  } finally {
    after.close();
    both.close();
  }
});

test("GET /api/events: every run of the tenant, in seq order, resumable with Last-Event-ID", async () => {
  const first = await SseClient.connect(`${s.url}/api/events`, { token: s.tokens.acme });
  const a = (await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} })).body.id as string;
  const b = (await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} })).body.id as string;
  try {
    await first.waitForType("run.succeeded", a);
    await first.waitForType("run.succeeded", b);
    const seqs = first.messages.map((m) => m.data.seq as number);
    assertStrictlyIncreasing(seqs);
    const all = (await storeOf(s.cairn).readEvents({ tenant: "acme", limit: 100_000 })).map((e) => e.seq);
    assert.deepEqual(seqs, all.slice(0, seqs.length), "the tenant's whole event log, from the start");
  } finally {
    first.close();
  }
  const resumed = await SseClient.connect(`${s.url}/api/events`, {
    token: s.tokens.acme,
    lastEventId: first.messages.at(-1)!.id!,
  });
  const c = (await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} })).body.id as string;
  try {
    await resumed.waitForType("run.succeeded", c);
    assert.ok(resumed.messages.every((m) => m.data.seq > first.messages.at(-1)!.data.seq));
    assert.deepEqual([...new Set(resumed.messages.map((m) => m.data.runId))], [c]);
  } finally {
    resumed.close();
  }
});

test("an idle stream gets keep-alive comments", async () => {
  const runId = (await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} })).body
    .id as string;
  await s.waitForStatus(runId, ["succeeded"]);
  const client = await SseClient.connect(`${s.url}/api/runs/${runId}/events`, { token: s.tokens.acme });
  try {
    await client.waitForType("run.succeeded");
    await client.waitFor(() => client.comments.includes("keep-alive"), "a keep-alive comment");
    assert.ok(!client.ended, "the stream stays open");
  } finally {
    client.close();
  }
});

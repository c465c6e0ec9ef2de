import assert from "node:assert/strict";
import { test } from "node:test";
import { Cairn } from "../../src/index.js";
import { HealthSchema } from "../../src/server/schemas.js";
import { startServer } from "./helpers.js";
import { controls, flaky, quick } from "./workflows.js";

// `cairn serve --no-worker`: this server only records runs; a separate worker executes them.
const s = await startServer({ workflows: [quick, flaky], cairn: { execute: false } });

async function metrics(): Promise<Map<string, number>> {
  const res = await fetch(`${s.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

test("/healthz answers without a token while the store is reachable", async () => {
  const res = await s.api("/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(HealthSchema.parse(res.body), { status: "ok" });
});

test("/metrics counts runs, steps, durations, the ready queue and recoveries from the store", async () => {
  const empty = await metrics();
  assert.equal(empty.get('cairn_runs{status="running"}'), 0);
  assert.equal(empty.get("cairn_steps_started_total"), 0);

  const quickRun = (await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} })).body
    .id as string;
  const waiting = await metrics();
  assert.equal(waiting.get('cairn_runs{status="running"}'), 1);
  assert.equal(waiting.get("cairn_ready_steps"), 2, "both root steps wait for a worker");
  assert.equal(waiting.get("cairn_steps_started_total"), 0);

  const worker = await Cairn.open({ db: s.db, pollIntervalMs: 20 });
  try {
    await worker.register(quick);
    await worker.register(flaky);
    await s.waitForStatus(quickRun, ["succeeded"]);
    controls.failParse = true;
    const flakyRun = (await s.api("/api/workflows/flaky/runs", { token: s.tokens.globex, json: {} })).body
      .id as string;
    await s.waitForStatus(flakyRun, ["failed"], s.tokens.globex);
  } finally {
    await worker.close();
  }

  const after = await metrics();
  assert.equal(after.get('cairn_runs{status="running"}'), 0);
  assert.equal(after.get('cairn_runs{status="succeeded"}'), 1);
  assert.equal(after.get('cairn_runs{status="failed"}'), 1, "every tenant is counted");
  assert.equal(after.get("cairn_ready_steps"), 0);
  assert.equal(after.get("cairn_steps_started_total"), 4, "one, two, fetch, parse");
  assert.equal(after.get("cairn_steps_succeeded_total"), 3);
  assert.equal(after.get("cairn_steps_failed_total"), 1);
  assert.equal(after.get("cairn_step_duration_seconds_count"), 4);
  assert.equal(after.get('cairn_step_duration_seconds_bucket{le="+Inf"}'), 4);
  const buckets = [...after]
    .filter(([k]) => k.startsWith("cairn_step_duration_seconds_bucket"))
    .map(([, v]) => v);
  assert.ok(
    buckets.every((v, i) => i === 0 || v >= buckets[i - 1]!),
    "cumulative buckets",
  );
  assert.ok((after.get("cairn_step_duration_seconds_sum") ?? -1) >= 0);
  assert.equal(after.get("cairn_recoveries_total"), 0);

  // A recovery recorded by any process (here written directly, as recovery would) is counted.
  const run = (await s.cairn.store.getRun(quickRun))!;
  await s.cairn.store.transaction((tx) =>
    tx.appendEvents([
      {
        runId: run.id,
        tenant: run.tenant,
        stepId: "one",
        type: "step.recovered",
        at: Date.now(),
        data: { reason: "test" },
      },
    ]),
  );
  assert.equal((await metrics()).get("cairn_recoveries_total"), 1);
  assert.equal((await metrics()).get("cairn_steps_started_total"), 4, "a second scrape counts nothing twice");
});

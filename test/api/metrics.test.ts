import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { storeOf } from "../../src/engine/client-state.js";
import { Cairn } from "../../src/index.js";
import { CairnMetrics } from "../../src/server/metrics/cairn-metrics.js";
import { HealthSchema } from "../../src/server/schemas.js";
import { capturedLogger } from "../helpers/logs.js";
import { type Family, parsePrometheusText, sampleValue } from "../helpers/prometheus-text.js";
import { tempDir, until } from "../helpers/temp.js";
import { startServer, type TestServer } from "./helpers.js";
import { controls, flaky, gated, quick, resetGate } from "./workflows.js";

async function scrape(s: TestServer): Promise<Map<string, Family>> {
  const res = await fetch(`${s.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

test("/healthz answers without a token while the store is reachable", async () => {
  const s = await startServer({ workflows: [quick] });
  const res = await s.api("/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(HealthSchema.parse(res.body), { status: "ok" });
});

test("/metrics: runs by workflow and status and the queue depth come from the store, for every tenant", async () => {
  // `cairn serve --no-worker`: this server only records runs; a separate worker executes them.
  const s = await startServer({ workflows: [quick, flaky], cairn: { execute: false } });
  const empty = await scrape(s);
  assert.equal(empty.get("cairn_runs")?.type, "gauge");
  assert.deepEqual(empty.get("cairn_runs")?.samples, [], "no workflow has runs yet");
  assert.ok(empty.has("process_cpu_user_seconds_total"), "process metrics");
  assert.ok(empty.has("nodejs_eventloop_lag_seconds"));

  for (let i = 0; i < 3; i++) await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} });
  await s.api("/api/workflows/flaky/runs", { token: s.tokens.globex, json: {} });
  const waiting = await scrape(s);
  assert.equal(sampleValue(waiting, "cairn_runs", { workflow: "quick", status: "running" }), 3);
  assert.equal(sampleValue(waiting, "cairn_runs", { workflow: "quick", status: "failed" }), 0);
  assert.equal(sampleValue(waiting, "cairn_runs", { workflow: "flaky", status: "running" }), 1);
  assert.equal(sampleValue(waiting, "cairn_ready_steps", { workflow: "quick" }), 6, "two root steps each");
  assert.equal(sampleValue(waiting, "cairn_ready_steps", { workflow: "flaky" }), 1);
  assert.equal(sampleValue(waiting, "cairn_step_claims_total", { workflow: "quick" }), undefined);

  controls.failParse = true;
  const worker = await Cairn.open({ db: s.db, pollIntervalMs: 20 });
  try {
    await worker.register(quick);
    await worker.register(flaky);
    await until(async () => {
      const m = await scrape(s);
      return sampleValue(m, "cairn_runs", { workflow: "quick", status: "succeeded" }) === 3 &&
        sampleValue(m, "cairn_runs", { workflow: "flaky", status: "failed" }) === 1
        ? true
        : undefined;
    }, "the worker to finish the runs");
  } finally {
    await worker.close();
  }
  const after = await scrape(s);
  assert.equal(sampleValue(after, "cairn_runs", { workflow: "quick", status: "running" }), 0);
  assert.equal(sampleValue(after, "cairn_ready_steps", { workflow: "quick" }), 0);
  assert.equal(
    sampleValue(after, "cairn_step_claims_total", { workflow: "quick" }),
    undefined,
    "another process's claims are that process's to report",
  );
  assert.ok((sampleValue(after, "cairn_store_count_seconds") ?? -1) >= 0);
});

test("/metrics: claims, completions by outcome and step durations by workflow and step, counted in process", async () => {
  const s = await startServer({ workflows: [quick, flaky] });
  const quickRun = (await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} })).body.id;
  await s.waitForStatus(quickRun, ["succeeded"]);
  controls.failParse = true;
  const flakyRun = (await s.api("/api/workflows/flaky/runs", { token: s.tokens.acme, json: {} })).body.id;
  await s.waitForStatus(flakyRun, ["failed"]);

  const m = await scrape(s);
  assert.equal(m.get("cairn_step_claims_total")?.type, "counter");
  assert.equal(sampleValue(m, "cairn_step_claims_total", { workflow: "quick" }), 2);
  assert.equal(sampleValue(m, "cairn_step_claims_total", { workflow: "flaky" }), 2, "fetch, parse");
  const completions = (workflow: string, outcome: string) =>
    sampleValue(m, "cairn_step_completions_total", { workflow, outcome });
  assert.equal(completions("quick", "succeeded"), 2);
  assert.equal(completions("flaky", "succeeded"), 1);
  assert.equal(completions("flaky", "failed"), 1);
  assert.equal(completions("flaky", "retrying"), undefined);

  assert.equal(m.get("cairn_step_duration_seconds")?.type, "histogram");
  for (const [workflow, step] of [
    ["quick", "one"],
    ["quick", "two"],
    ["flaky", "fetch"],
    ["flaky", "parse"],
  ] as const) {
    assert.equal(sampleValue(m, "cairn_step_duration_seconds_count", { workflow, step }), 1, step);
    assert.equal(sampleValue(m, "cairn_step_duration_seconds_bucket", { workflow, step, le: "+Inf" }), 1);
    const sum = sampleValue(m, "cairn_step_duration_seconds_sum", { workflow, step }) ?? -1;
    assert.ok(sum >= 0 && sum < 30, `${step} took ${sum} s`);
  }
  assert.equal(
    sampleValue(m, "cairn_step_duration_seconds_count", { workflow: "flaky", step: "report" }),
    undefined,
  );
  const buckets = m
    .get("cairn_step_duration_seconds")!
    .samples.filter((x) => x.name.endsWith("_bucket") && x.labels.step === "one")
    .map((x) => x.value);
  assert.ok(buckets.length > 10 && buckets.every((v, i) => i === 0 || v >= buckets[i - 1]!), "cumulative");
  assert.equal(sampleValue(m, "cairn_fenced_writes_total", { write: "outcome" }), 0);
  assert.equal(sampleValue(m, "cairn_recoveries_total", { result: "recovered" }), 0);
});

test("/metrics: a lease taken by another worker counts fenced writes; a dead worker's step counts a recovery", async () => {
  resetGate();
  const s = await startServer({ workflows: [gated], cairn: { leaseMs: 600, heartbeatMs: 50 } });
  const runId = (await s.api("/api/workflows/gated/runs", { token: s.tokens.acme, json: {} })).body.id;
  const running = await until(async () => {
    const [step] = await storeOf(s.cairn).getSteps(runId, ["wait"]);
    return step?.status === "running" ? step : undefined;
  }, "the wait step to run");
  // Another worker took the step over (a new lease epoch): this worker's next heartbeat and its
  // outcome are both refused.
  await storeOf(s.cairn).transaction((tx) =>
    tx.updateStep({ runId, stepId: "wait" }, { leaseEpoch: running.leaseEpoch + 1, leaseOwner: "w-other" }),
  );
  await until(async () => {
    const m = await scrape(s);
    return (sampleValue(m, "cairn_fenced_writes_total", { write: "heartbeat" }) ?? 0) >= 1 &&
      sampleValue(m, "cairn_fenced_writes_total", { write: "outcome" }) === 1
      ? true
      : undefined;
  }, "the heartbeat and the outcome to be fenced");

  // The other worker "dies": its lease runs out, and the reaper puts the step back to ready.
  await storeOf(s.cairn).transaction((tx) =>
    tx.updateStep({ runId, stepId: "wait" }, { leaseExpiresAt: 1, leaseOwner: "w-dead" }),
  );
  controls.gate.open();
  const report = await s.cairn.recover();
  assert.equal(report.recovered.length, 1);
  const m = await scrape(s);
  assert.equal(sampleValue(m, "cairn_recoveries_total", { result: "recovered" }), 1);
  assert.equal(sampleValue(m, "cairn_recoveries_total", { result: "interrupted" }), 0);
  await s.waitForStatus(runId, ["succeeded"]);
});

test("/metrics: when counting the store is slow, a scrape answers with the last counts and counts again behind it", async () => {
  const s = await startServer({ workflows: [quick], cairn: { execute: false } });
  // Every count is "slow" (threshold 0 ms): the first scrape counts, later ones answer at once.
  const metrics = new CairnMetrics(s.cairn, { syncCountBelowMs: 0 });
  const scrapeSlow = async () => parsePrometheusText(await metrics.render());
  const first = await scrapeSlow();
  assert.equal(sampleValue(first, "cairn_runs", { workflow: "quick", status: "running" }), undefined);
  await s.api("/api/workflows/quick/runs", { token: s.tokens.acme, json: {} });

  const stale = await scrapeSlow();
  assert.equal(
    sampleValue(stale, "cairn_runs", { workflow: "quick", status: "running" }),
    undefined,
    "the last counts, not a new count",
  );
  await metrics.countsSettled();
  const fresh = await scrapeSlow();
  assert.equal(sampleValue(fresh, "cairn_runs", { workflow: "quick", status: "running" }), 1);
  assert.equal(sampleValue(fresh, "cairn_ready_steps", { workflow: "quick" }), 2);
  assert.ok((sampleValue(fresh, "cairn_store_counts_age_seconds") ?? -1) >= 0);
  metrics.close();
});

test("/metrics: a background count that fails is logged as an error; the next scrape counts again", async () => {
  const { logger, lines } = capturedLogger();
  const cairn = await Cairn.open({ db: path.join(tempDir(), "cairn.db"), execute: false, logger });
  const metrics = new CairnMetrics(cairn, { syncCountBelowMs: 0 });
  await metrics.render(); // counts: every later scrape answers at once and counts behind it
  await storeOf(cairn).close();
  await metrics.render(); // the last counts; the count behind it fails: the store is closed
  await metrics.countsSettled();
  const failed = lines.filter((l) => l.msg.startsWith("counting runs and ready steps for /metrics failed"));
  assert.deepEqual(
    failed.map((l) => l.level),
    [50],
  );
  assert.match(String((failed[0]!.err as { message: string }).message), /closed/);
  await assert.rejects(metrics.render(), /closed/, "the next scrape counts afresh and says why it cannot");
  metrics.close();
  await cairn.close().catch(() => undefined);
});

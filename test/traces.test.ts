// OpenTelemetry traces: one trace per run across its start, its resumes and the processes that
// executed it (spans read back from the SDK's in-memory exporter, and from a real OTLP/HTTP receiver
// fed by the `cairn` binary under the standard OTEL_* variables).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { Cairn, workflow } from "../src/index.js";
import { spawnNode } from "./helpers/child.js";
import { BIN, cli, ROOT } from "./helpers/cli.js";
import { type ReceivedSpan, startCollector } from "./helpers/otlp-collector.js";
import { tempDir, until } from "./helpers/temp.js";

function memoryTracing() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracerProvider };
}

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const named = (spans: ReadableSpan[], name: string, step?: string) =>
  spans.filter((s) => s.name === name && (step === undefined || s.attributes["cairn.step.id"] === step));

test("a run that fails, is resumed and succeeds is one trace: attempt spans, their steps, their ends", async () => {
  const { exporter, tracerProvider } = memoryTracing();
  const db = path.join(tempDir(), "cairn.db");
  let fixed = false;
  const flaky = workflow("flaky")
    .step("fetch", async () => 41)
    .step("load", { needs: ["fetch"] }, async ({ needs }) => {
      if (!fixed) throw new Error("the warehouse is down\nat line two");
      return needs.fetch + 1;
    });
  const cairn = await Cairn.open({ db, tracerProvider, pollIntervalMs: 20 });
  try {
    const failed = await (await cairn.start(flaky)).result();
    assert.equal(failed.status, "failed");
    fixed = true;
    const resumed = await (await cairn.resume(failed.id)).result();
    assert.equal(resumed.status, "succeeded");
    const spans = exporter.getFinishedSpans();

    assert.deepEqual(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, "one trace");
    const [start] = named(spans, "cairn.run.start");
    const [resume] = named(spans, "cairn.run.resume");
    assert.ok(start && resume);
    assert.equal(parentOf(start), undefined, "the start is the root");
    assert.deepEqual(
      {
        workflow: start.attributes["cairn.workflow.id"],
        run: start.attributes["cairn.run.id"],
        attempt: start.attributes["cairn.run.attempt"],
      },
      { workflow: "flaky", run: failed.id, attempt: 1 },
    );
    assert.equal(parentOf(resume), start.spanContext().spanId, "the resume continues from the start");
    assert.equal(resume.attributes["cairn.run.attempt"], 2);

    // Each execution under its attempt; fetch ran once (kept by the resume), load twice.
    const [fetch] = named(spans, "cairn.step", "fetch");
    assert.equal(named(spans, "cairn.step", "fetch").length, 1);
    assert.equal(parentOf(fetch!), start.spanContext().spanId);
    const loads = named(spans, "cairn.step", "load");
    assert.deepEqual(
      loads.map((s) => [
        parentOf(s),
        s.attributes["cairn.step.attempt"],
        s.attributes["cairn.step.provenance"],
        s.attributes["cairn.step.outcome"],
        s.status.code,
      ]),
      [
        [start.spanContext().spanId, 1, "executed", "failed", 2],
        [resume.spanContext().spanId, 2, "executed", "succeeded", 0],
      ],
    );
    assert.equal(loads[0]!.status.message, "the warehouse is down");
    assert.deepEqual(
      named(spans, "cairn.run.end").map((s) => [
        parentOf(s),
        s.attributes["cairn.run.status"],
        s.status.code,
      ]),
      [
        [start.spanContext().spanId, "failed", 2],
        [resume.spanContext().spanId, "succeeded", 0],
      ],
    );
    // The trace context is stored with the run: the current attempt's span.
    const run = await cairn.run(failed.id);
    assert.equal(run?.traceParent, `00-${resume.spanContext().traceId}-${resume.spanContext().spanId}-01`);

    // A rerun is a new trace, linked to its source run's; the steps it reuses appear as reused.
    exporter.reset();
    const rerun = await (await cairn.rerun(failed.id, { from: ["load"] })).result();
    assert.equal(rerun.status, "succeeded");
    const again = exporter.getFinishedSpans();
    const [rerunStart] = named(again, "cairn.run.start");
    assert.ok(rerunStart);
    assert.notEqual(rerunStart.spanContext().traceId, resume.spanContext().traceId);
    assert.deepEqual(
      rerunStart.links.map((l) => l.context.spanId),
      [resume.spanContext().spanId],
    );
    assert.deepEqual(
      named(again, "cairn.step").map((s) => [
        s.attributes["cairn.step.id"],
        s.attributes["cairn.step.provenance"],
      ]),
      [
        ["fetch", "reused"],
        ["load", "executed"],
      ],
    );
  } finally {
    await cairn.close();
  }
});

test("without a tracer nothing of OpenTelemetry is loaded, and runs store no trace context", async () => {
  const script = `
    const { Cairn, workflow } = await import(${JSON.stringify(path.join(ROOT, "dist/index.js"))});
    const cairn = await Cairn.open({ db: process.argv[1] });
    const run = await (await cairn.start(workflow("w").step("a", async () => 1))).result();
    await cairn.close();
    const { createRequire } = await import("node:module");
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes("@opentelemetry"));
    console.log(JSON.stringify({ status: run.status, traceParent: run.traceParent, loaded }));
  `;
  const db = path.join(tempDir(), "cairn.db");
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ["--input-type=module", "-e", script, db], { cwd: ROOT });
    let text = "";
    p.stdout.on("data", (d) => (text += d));
    p.on("error", reject);
    p.on("close", () => resolve(text));
  });
  assert.deepEqual(JSON.parse(out), { status: "succeeded", traceParent: null, loaded: [] });
});

const HANGS = path.join(ROOT, "test/fixtures/cli/hangs.ts");
const OK_YAML = path.join(ROOT, "test/fixtures/cli/ok.yaml");

/** `cairn run` of the hanging workflow with OTEL_* set, SIGKILLed once its middle step runs. */
async function killedRun() {
  const collector = await startCollector();
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_SERVICE_NAME: "cairn-test",
    OTEL_BSP_SCHEDULE_DELAY: "20",
  };
  const owner = spawnNode(BIN, ["--db", db, "run", HANGS], { ...otel, HANG: "1" });
  await owner.line(/^in-step$/);
  // The spans that ended before the kill were exported by the batch processor meanwhile.
  const before = await until(
    () => collector.spans.find((s) => s.name === "cairn.step" && s.attributes["cairn.step.id"] === "before"),
    "the first step's span",
  );
  owner.child.kill("SIGKILL");
  await owner.exited;
  const start = collector.spans.find((s) => s.name === "cairn.run.start");
  assert.ok(start, "the start span was exported before the kill");
  const runId = String(start.attributes["cairn.run.id"]);
  assert.equal(before.traceId, start.traceId);
  assert.equal(before.parentSpanId, start.spanId);
  assert.equal(start.service, "cairn-test");
  return { collector, dir, db, otel, start, runId };
}

test("`cairn run` SIGKILLed mid-step, then `cairn resume`: both processes export to the OTLP endpoint, in one trace", async () => {
  const { collector, dir, db, otel, start, runId } = await killedRun();
  const resumed = await cli(["--db", db, "resume", runId], { cwd: dir, env: otel });
  assert.equal(resumed.code, 0, resumed.stderr);
  // `cairn resume` flushed its spans on close, before it exited.
  const resume = collector.spans.find((s) => s.name === "cairn.run.resume");
  assert.ok(resume, `the resume span arrived: ${collector.spans.map((s) => s.name).join(", ")}`);
  assert.equal(resume.traceId, start.traceId, "the resume continues the killed run's trace");
  assert.equal(resume.parentSpanId, start.spanId);
  const afterKill = collector.spans.filter(
    (s) => s.name === "cairn.step" && s.parentSpanId === resume.spanId,
  );
  assert.deepEqual(
    afterKill.map((s) => [s.attributes["cairn.step.id"], s.attributes["cairn.step.outcome"]]),
    [
      ["work", "succeeded"],
      ["after", "succeeded"],
    ],
  );
  const end = collector.spans.find((s) => s.name === "cairn.run.end");
  assert.deepEqual([end?.traceId, end?.attributes["cairn.run.status"]], [start.traceId, "succeeded"]);
  assert.ok(collector.paths.every((p) => p === "POST /v1/traces"));
});

test("a run that fails, is SIGKILLed in its resume and is recovered by `cairn worker`: one trace across three processes", async (t) => {
  const collector = await startCollector();
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const runId = "traced-1";
  const otel = (service: string) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
    OTEL_SERVICE_NAME: service,
    OTEL_BSP_SCHEDULE_DELAY: "20",
  });
  const ofRun = () => collector.spans.filter((s) => s.attributes["cairn.run.id"] === runId);

  // 1. `cairn run`: work fails, the run fails.
  const failed = await cli(["--db", db, "run", HANGS, "--id", runId], {
    cwd: dir,
    env: { ...otel("cairn-run"), FAIL: "1" },
  });
  assert.equal(failed.code, 1, failed.stderr);
  // 2. `cairn resume`, SIGKILLed while it executes work again (its attempt span was exported before).
  const resuming = spawnNode(BIN, ["--db", db, "resume", runId], { ...otel("cairn-resume"), HANG: "1" });
  await resuming.line(/^in-step$/);
  await until(() => ofRun().find((s) => s.name === "cairn.run.resume"), "the resume span");
  resuming.child.kill("SIGKILL");
  await resuming.exited;
  // 3. `cairn worker` finds the run's owner gone and recovers it; work and after succeed.
  const worker = spawnNode(BIN, ["--db", db, "worker", "--workflows", HANGS], otel("cairn-worker"));
  t.after(async () => {
    worker.child.kill("SIGTERM");
    await worker.exited;
  });
  // The run's end span ends just before its last step's: wait for both.
  await until(
    () =>
      ofRun().some((s) => s.name === "cairn.run.end" && s.attributes["cairn.run.status"] === "succeeded") &&
      ofRun().some((s) => s.name === "cairn.step" && s.attributes["cairn.step.id"] === "after"),
    "the recovered run's end span and its last step's",
  );

  const spans = ofRun();
  assert.equal(new Set(spans.map((s) => s.traceId)).size, 1, "one trace");
  // The attempts: start → resume → recover, each the child of the one before, each from its process.
  const attempts = spans.filter((s) => s.name.startsWith("cairn.run.") && s.name !== "cairn.run.end");
  assert.deepEqual(
    attempts.map((s) => [
      s.name,
      s.attributes["cairn.run.attempt"],
      s.attributes["cairn.run.trigger"],
      s.service,
    ]),
    [
      ["cairn.run.start", 1, "cli", "cairn-run"],
      ["cairn.run.resume", 2, "cli", "cairn-resume"],
      ["cairn.run.recover", 3, "auto", "cairn-worker"],
    ],
  );
  const [start, resume, recover] = attempts as [ReceivedSpan, ReceivedSpan, ReceivedSpan];
  assert.deepEqual(
    attempts.map((s) => s.parentSpanId),
    ["", start.spanId, resume.spanId],
  );
  assert.match(String(recover.attributes["cairn.run.reason"]), /gone/);
  const attemptOf = (s: ReceivedSpan) =>
    ["start", "resume", "recover"][attempts.findIndex((a) => a.spanId === s.parentSpanId)];

  // Every execution that ended, under its attempt: before ran once (the resume and the recovery kept
  // it), work failed, then its execution in the killed process left no span (it never ended) and the
  // recovery executed it again; after ran under the recovery.
  const steps = spans.filter((s) => s.name === "cairn.step");
  assert.deepEqual(
    steps.map((s) => [
      s.attributes["cairn.step.id"],
      attemptOf(s),
      s.attributes["cairn.step.attempt"],
      s.attributes["cairn.step.provenance"],
      s.attributes["cairn.step.outcome"],
      s.statusCode,
    ]),
    [
      ["before", "start", 1, "executed", "succeeded", 0],
      ["work", "start", 1, "executed", "failed", 2],
      ["work", "recover", 2, "recovered", "succeeded", 0],
      ["after", "recover", 1, "executed", "succeeded", 0],
    ],
  );
  for (const s of steps)
    assert.deepEqual(
      [s.attributes["cairn.workflow.id"], s.attributes["cairn.run.attempt"]],
      ["hangs", attempts.find((a) => a.spanId === s.parentSpanId)?.attributes["cairn.run.attempt"]],
    );
  assert.deepEqual(
    spans
      .filter((s) => s.name === "cairn.run.end")
      .map((s) => [attemptOf(s), s.attributes["cairn.run.status"], s.statusCode]),
    [
      ["start", "failed", 2],
      ["recover", "succeeded", 0],
    ],
  );
});

test("`cairn serve` with OTEL_EXPORTER_OTLP_ENDPOINT: a run started over the API is traced, trigger api", async (t) => {
  const collector = await startCollector();
  const dir = tempDir();
  const serve = spawnNode(
    BIN,
    ["--db", path.join(dir, "cairn.db"), "serve", "--no-auth", "--port", "0", "--workflows", OK_YAML],
    { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: "20" },
  );
  t.after(async () => {
    serve.child.kill("SIGTERM");
    await serve.exited;
  });
  const url = /on (http:\/\/\S+)/.exec(await serve.line(/listening on/))![1]!;
  const res = await fetch(`${url}/api/workflows/ok/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: {} }),
  });
  assert.equal(res.status, 201);
  const { id } = (await res.json()) as { id: string };
  // The end span can reach the collector just before the last step's span: wait for both.
  const end = await until(() => {
    const found = collector.spans.find(
      (s) => s.name === "cairn.run.end" && s.attributes["cairn.run.id"] === id,
    );
    const steps = collector.spans.filter((s) => s.name === "cairn.step" && s.traceId === found?.traceId);
    return steps.length >= 2 ? found : undefined;
  }, "the run's end span and its two step spans");
  const start = collector.spans.find(
    (s) => s.name === "cairn.run.start" && s.attributes["cairn.run.id"] === id,
  );
  assert.deepEqual(
    [start?.attributes["cairn.run.trigger"], start?.service, end.traceId, end.attributes["cairn.run.status"]],
    ["api", "cairn", start?.traceId, "succeeded"],
  );
  assert.deepEqual(
    collector.spans
      .filter((s) => s.name === "cairn.step" && s.traceId === end.traceId)
      .map((s) => s.attributes["cairn.step.id"]),
    ["greet", "shout"],
  );
});

test("OTEL_TRACES_EXPORTER naming an exporter Cairn does not have: one sentence, exit 2", async () => {
  const dir = tempDir();
  const r = await cli(["--db", path.join(dir, "cairn.db"), "ls"], {
    cwd: dir,
    env: { OTEL_TRACES_EXPORTER: "zipkin" },
  });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /OTEL_TRACES_EXPORTER must name otlp, console, none .*got "zipkin"/);
});

// `cairn worker --metrics-port`: a real worker process serving /metrics and /healthz on its own port.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { storeOf } from "../src/engine/client-state.js";
import { Cairn, loadOneWorkflow } from "../src/index.js";
import { spawnNode } from "./helpers/child.js";
import { BIN, ROOT } from "./helpers/cli.js";
import { parsePrometheusText, sampleValue } from "./helpers/prometheus-text.js";
import { tempDir } from "./helpers/temp.js";

const OK_YAML = path.join(ROOT, "test/fixtures/cli/ok.yaml");

test("cairn worker --metrics-port serves the worker's own claims and completions, and /healthz", async (t) => {
  const db = path.join(tempDir(), "cairn.db");
  const worker = spawnNode(BIN, ["worker", "--db", db, "--workflows", OK_YAML, "--metrics-port", "0"]);
  t.after(async () => {
    worker.child.kill("SIGTERM");
    await worker.exited;
  });
  const url = /on (http:\/\/\S+)\/metrics/.exec(await worker.line(/cairn worker metrics on /))![1]!;
  await worker.line(/ready \(pid/);

  const client = await Cairn.open({ db, execute: false });
  t.after(() => client.close());
  const handle = await client.start("ok", {}, { detach: true });
  assert.equal((await handle.result()).status, "succeeded");

  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const m = parsePrometheusText(await res.text());
  const steps = (await storeOf(client).getSteps(handle.id)).length;
  assert.equal(sampleValue(m, "cairn_step_claims_total", { workflow: "ok" }), steps);
  assert.equal(
    sampleValue(m, "cairn_step_completions_total", { workflow: "ok", outcome: "succeeded" }),
    steps,
  );
  assert.equal(sampleValue(m, "cairn_runs", { workflow: "ok", status: "succeeded" }), 1);
  assert.ok(m.has("process_resident_memory_bytes"));

  const health = await fetch(`${url}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: "ok" });
  assert.equal((await fetch(`${url}/api/runs`)).status, 404, "no API on the metrics port");
  assert.equal((await fetch(`${url}/metrics`, { method: "POST" })).status, 405);
});

test("cairn worker --metrics-port refuses a port that is not a number, in one sentence", async () => {
  const db = path.join(tempDir(), "cairn.db");
  const worker = spawnNode(BIN, ["worker", "--db", db, "--workflows", OK_YAML, "--metrics-port", "nine"]);
  const { code } = await worker.exited;
  assert.equal(code, 2);
  assert.match(worker.stdout(), /--metrics-port must be a whole number from 0 to 65535, got "nine"\./);
});

test("cairn serve's /metrics counts its embedded worker's claims from the first, a backlog at start included", async (t) => {
  const db = path.join(tempDir(), "cairn.db");
  const client = await Cairn.open({ db, execute: false });
  t.after(() => client.close());
  await client.register(await loadOneWorkflow(OK_YAML));
  const waiting = await client.start("ok", {}, { detach: true });
  const serve = spawnNode(BIN, ["serve", "--db", db, "--port", "0", "--no-auth", "--workflows", OK_YAML]);
  t.after(async () => {
    serve.child.kill("SIGTERM");
    await serve.exited;
  });
  const url = /listening on (http:\/\/\S+)/.exec(await serve.line(/listening on/))![1]!;
  assert.equal((await waiting.result()).status, "succeeded");
  const m = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
  assert.equal(sampleValue(m, "cairn_step_claims_total", { workflow: "ok" }), 2);
  assert.equal(sampleValue(m, "cairn_step_completions_total", { workflow: "ok", outcome: "succeeded" }), 2);
});

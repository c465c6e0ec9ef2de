import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { storeOf } from "../../src/engine/client-state.js";
import { assertErrorShape, databaseBytes, startServer } from "./helpers.js";
import { SseClient } from "./sse-client.js";
import { controls, secretive } from "./workflows.js";

test("secrets passed to start and resume appear nowhere: responses, events, logs, the database file", async () => {
  const s = await startServer({ workflows: [secretive], app: { ssePollMs: 50 } });
  const startSecret = `sk-start-${randomBytes(12).toString("hex")}`;
  const resumeSecret = `sk-resume-${randomBytes(12).toString("hex")}`;
  const stream = await SseClient.connect(`${s.url}/api/events`, { token: s.tokens.acme });
  const logged: unknown[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => logged.push(args);

  try {
    controls.failSecretive = true;
    const started = await s.api("/api/workflows/secretive/runs", {
      token: s.tokens.acme,
      json: { input: { note: "no secrets here" }, secrets: { API_KEY: startSecret } },
    });
    assert.equal(started.status, 201, started.text);
    const runId = started.body.id as string;
    assert.deepEqual(started.body.secretNames, ["API_KEY"]);
    await s.waitForStatus(runId, ["failed"]);

    // The step did get the secret (its masked error says so), so the checks below are not vacuous.
    const failedStep = await s.api(`/api/runs/${runId}/steps/use`, { token: s.tokens.acme });
    assert.equal(failedStep.body.error.message, "the API rejected key ***");
    assert.ok(
      failedStep.body.logs.some((l: { line: string }) => l.line === "calling the API with key ***"),
      failedStep.text,
    );

    const missing = await s.api(`/api/runs/${runId}/resume`, { token: s.tokens.acme, json: {} });
    assertErrorShape(missing, 422, "INVALID_INPUT");
    assert.deepEqual(missing.body.error.details, { missing: ["API_KEY"] });
    const plan = await s.api(`/api/runs/${runId}/resume-plan`, { token: s.tokens.acme });
    assert.deepEqual(plan.body.secretsNeeded, ["API_KEY"]);

    controls.failSecretive = false;
    const resumed = await s.api(`/api/runs/${runId}/resume`, {
      token: s.tokens.acme,
      json: { secrets: { API_KEY: resumeSecret } },
    });
    assert.equal(resumed.status, 200, resumed.text);
    const done = await s.waitForStatus(runId, ["succeeded", "failed"]);
    assert.equal(done.body.status, "succeeded");
    assert.deepEqual(
      done.body.output,
      { echoed: "***", length: resumeSecret.length },
      "the resume secret reached the step, masked",
    );

    const restarted = await s.api(`/api/runs/${runId}/restart`, {
      token: s.tokens.acme,
      json: { secrets: { API_KEY: resumeSecret } },
    });
    assert.equal(restarted.status, 201, restarted.text);
    await s.waitForStatus(restarted.body.id, ["succeeded"]);
    await stream.waitForType("run.succeeded", restarted.body.id);

    // Read everything a client can read about the runs.
    for (const id of [runId, restarted.body.id]) {
      for (const path of [
        `/api/runs/${id}`,
        `/api/runs/${id}/steps/use`,
        `/api/runs/${id}/history`,
        "/api/runs",
      ])
        assert.equal((await s.api(path, { token: s.tokens.acme })).status, 200);
    }
    const runStream = await SseClient.connect(`${s.url}/api/runs/${runId}/events`, { token: s.tokens.acme });
    await runStream.waitForType("run.succeeded");
    runStream.close();
    const logs = [...(await s.cairn.logs(runId)), ...(await s.cairn.logs(restarted.body.id))];
    const events = await storeOf(s.cairn).readEvents({ afterSeq: 0, limit: 100_000 });
    assert.ok(logs.length >= 3);

    const places: Array<[string, string]> = [
      ["responses", s.transcript.join("\n")],
      ["the /api/events stream", stream.raw],
      ["the run's event stream", runStream.raw],
      ["stored events", JSON.stringify(events)],
      ["stored logs", JSON.stringify(logs)],
      ["server log", JSON.stringify(logged) + JSON.stringify(s.internalErrors.map(String))],
    ];
    for (const [where, text] of places)
      for (const secret of [startSecret, resumeSecret])
        assert.ok(!text.includes(secret), `a secret appears in ${where}`);
  } finally {
    console.error = originalError;
    stream.close();
    await s.close().catch(() => undefined);
  }
});

test("the database file never holds a secret or a token's plain text (grep the bytes, WAL included)", async () => {
  const s = await startServer({ workflows: [secretive] });
  const secret = `sk-db-${randomBytes(12).toString("hex")}`;
  controls.failSecretive = false;
  const started = await s.api("/api/workflows/secretive/runs", {
    token: s.tokens.acme,
    json: { secrets: { API_KEY: secret } },
  });
  assert.equal(started.status, 201, started.text);
  await s.waitForStatus(started.body.id, ["succeeded"]);
  const tokens = Object.values(s.tokens);

  const check = (when: string) => {
    const bytes = databaseBytes(s.db);
    assert.ok(bytes.length > 0);
    assert.ok(bytes.includes(Buffer.from(started.body.id)), `${when}: the run is in the bytes searched`);
    assert.equal(bytes.includes(Buffer.from(secret)), false, `${when}: the secret is in the database`);
    for (const token of tokens) {
      assert.equal(
        bytes.includes(Buffer.from(token)),
        false,
        `${when}: a token's plain text is in the database`,
      );
      assert.equal(
        bytes.includes(Buffer.from(token.slice("cairn_".length))),
        false,
        `${when}: a token's random part is in the database`,
      );
    }
  };
  check("while serving");
  // After a clean close the WAL is folded into the main file; check that file too.
  await s.cairn.close();
  check("after close");
  await s.close();
});

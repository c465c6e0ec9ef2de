import assert from "node:assert/strict";
import { test } from "node:test";
import { workflow } from "../../src/index.js";
import { startServer } from "./helpers.js";

const cleanup = workflow("cleanup", {
  schedules: [
    { name: "hourly", cron: "0 * * * *", timezone: "Europe/Paris", input: { deep: false } },
    { name: "daily", every: "24h", missed: "catch-up" },
  ],
}).step("sweep", () => "swept");

// The server's instance registers the workflow for tenant "acme": its schedules are acme's.
const s = await startServer({ workflows: [cleanup], cairn: { tenant: "acme" } });

test("GET /api/schedules lists the caller's tenant's schedules with their next tick", async () => {
  const before = Date.now();
  const res = await s.api("/api/schedules", { token: s.tokens.acmeReader });
  assert.equal(res.status, 200);
  const [daily, hourly] = res.body.schedules;
  assert.deepEqual(
    { ...hourly, nextTick: typeof hourly.nextTick },
    {
      workflowId: "cleanup",
      name: "hourly",
      cron: "0 * * * *",
      timezone: "Europe/Paris",
      everyMs: null,
      missed: "skip",
      input: { deep: false },
      paused: false,
      nextTick: "number",
      lastRunId: null,
    },
  );
  assert.ok(hourly.nextTick > before && hourly.nextTick <= before + 3_600_000);
  assert.equal(new Date(hourly.nextTick).getUTCMinutes(), 0);
  assert.deepEqual([daily.name, daily.everyMs, daily.missed], ["daily", 86_400_000, "catch-up"]);
  const other = await s.api("/api/schedules", { token: s.tokens.globex });
  assert.deepEqual(other.body, { schedules: [] }, "another tenant sees none");
});

test("POST /api/schedules/{workflow}/{name}/pause|resume: write tokens of the tenant only; unknown ones are 404", async () => {
  const reader = await s.api("/api/schedules/cleanup/hourly/pause", {
    token: s.tokens.acmeReader,
    method: "POST",
  });
  assert.equal(reader.status, 403);
  const stranger = await s.api("/api/schedules/cleanup/hourly/pause", {
    token: s.tokens.globex,
    method: "POST",
  });
  assert.equal(stranger.status, 404);
  assert.equal(stranger.body.error.message, 'Workflow "cleanup" has no schedule "hourly".');
  const unknown = await s.api("/api/schedules/cleanup/weekly/pause", {
    token: s.tokens.acme,
    method: "POST",
  });
  assert.equal(unknown.status, 404);
  const malformed = await s.api("/api/schedules/cleanup/a%20b/pause", {
    token: s.tokens.acme,
    method: "POST",
  });
  assert.equal(malformed.status, 400);

  const paused = await s.api("/api/schedules/cleanup/hourly/pause", { token: s.tokens.acme, method: "POST" });
  assert.equal(paused.status, 200);
  assert.deepEqual([paused.body.name, paused.body.paused, paused.body.nextTick], ["hourly", true, null]);
  const listed = await s.api("/api/schedules", { token: s.tokens.acme });
  assert.deepEqual(
    listed.body.schedules.map((x: { name: string; paused: boolean }) => [x.name, x.paused]),
    [
      ["daily", false],
      ["hourly", true],
    ],
    "only the named schedule is paused",
  );
  const resumed = await s.api("/api/schedules/cleanup/hourly/resume", {
    token: s.tokens.acme,
    method: "POST",
  });
  assert.equal(resumed.status, 200);
  assert.equal(resumed.body.paused, false);
  assert.ok(resumed.body.nextTick > Date.now());
});

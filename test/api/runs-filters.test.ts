import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunRecord } from "../../src/core/types.js";
import { storeOf } from "../../src/engine/client-state.js";
import { RunPageSchema } from "../../src/server/schemas.js";
import { runRecord } from "../helpers/records.js";
import { assertErrorShape, startServer } from "./helpers.js";
import { quick } from "./workflows.js";

// No recovery pass in the tests' lifetime: it would take over the run whose owner died, which the
// tests read as written (shown interrupted).
const s = await startServer({ workflows: [quick], cairn: { recoveryIntervalMs: 3_600_000 } });

const DAY = 86_400_000;
const MAY_1 = Date.UTC(2026, 4, 1);

// The tenant's history written straight to the store: ids, statuses and start times chosen.
const runs: RunRecord[] = [
  ["night-a1", "succeeded", MAY_1 + 1_000],
  ["night-a2", "failed", MAY_1 + 2_000],
  ["night-b1", "interrupted", MAY_1 + DAY + 1_000],
  ["day-a1", "failed", MAY_1 + DAY + 2_000],
  ["day-a2", "cancelled", MAY_1 + 2 * DAY + 1_000],
  // Recorded as running: its driver is unknown, so it is shown interrupted; the other one is live.
  ["night-c1", "running", MAY_1 + 2 * DAY + 2_000, "gone-worker"],
  ["night-c2", "running", MAY_1 + 2 * DAY + 3_000],
].map(([id, status, at, driverId]) =>
  runRecord(id as string, {
    tenant: "acme",
    workflowId: "quick",
    status: status as RunRecord["status"],
    createdAt: at as number,
    updatedAt: at as number,
    driverId: (driverId as string | undefined) ?? null,
  }),
);
await storeOf(s.cairn).transaction(async (tx) => {
  for (const run of runs) await tx.insertRun(run);
});

async function listed(query: string): Promise<string[]> {
  const res = await s.api(`/api/runs?${query}`, { token: s.tokens.acme });
  assert.equal(res.status, 200, res.text);
  RunPageSchema.parse(res.body);
  return res.body.runs.map((r: { id: string }) => r.id);
}

test("status: several at once, comma-separated or repeated; interrupted includes runs whose owner died", async () => {
  assert.deepEqual(await listed("status=failed,interrupted"), ["night-c1", "day-a1", "night-b1", "night-a2"]);
  assert.deepEqual(await listed("status=failed&status=interrupted"), [
    "night-c1",
    "day-a1",
    "night-b1",
    "night-a2",
  ]);
  assert.deepEqual(await listed("status=cancelled"), ["day-a2"]);
  assert.deepEqual(await listed("status=running"), ["night-c2"], "a run whose owner died is not running");
  const page = await s.api("/api/runs?status=interrupted", { token: s.tokens.acme });
  assert.deepEqual(
    page.body.runs.map((r: { id: string; status: string }) => [r.id, r.status]),
    [
      ["night-c1", "interrupted"],
      ["night-b1", "interrupted"],
    ],
  );
});

test("idPrefix: the runs whose id starts with it, case-sensitive; a whole id finds that run", async () => {
  assert.deepEqual(await listed("idPrefix=night-a"), ["night-a2", "night-a1"]);
  assert.deepEqual(await listed("idPrefix=day-a1"), ["day-a1"]);
  assert.deepEqual(await listed("idPrefix=a1"), [], "a prefix, not a substring");
  assert.deepEqual(await listed("idPrefix=Night"), []);
});

test("createdAfter and createdBefore: a date is midnight UTC, a time carries its offset; after is inclusive", async () => {
  assert.deepEqual(await listed("createdAfter=2026-05-02&createdBefore=2026-05-03"), ["day-a1", "night-b1"]);
  assert.deepEqual(await listed("createdBefore=2026-05-02"), ["night-a2", "night-a1"]);
  // 2026-05-01T02:00:02+02:00 is 00:00:02 UTC: night-a2's start, included.
  assert.deepEqual(
    await listed("createdAfter=2026-05-01T02:00:02%2B02:00&createdBefore=2026-05-02T00:00:00.500Z"),
    ["night-a2"],
  );
});

test("filters combine, and the cursor pages through them", async () => {
  assert.deepEqual(await listed("status=failed,interrupted&idPrefix=night&createdAfter=2026-05-02"), [
    "night-c1",
    "night-b1",
  ]);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await s.api(
      `/api/runs?status=failed,interrupted,cancelled&idPrefix=n&limit=1${cursor ? `&cursor=${cursor}` : ""}`,
      { token: s.tokens.acme },
    );
    seen.push(...res.body.runs.map((r: { id: string }) => r.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, ["night-c1", "night-b1", "night-a2"]);
  const theirs = await s.api("/api/runs?idPrefix=night", { token: s.tokens.globex });
  assert.deepEqual(theirs.body.runs, [], "another tenant's filter finds none of these");
});

test("a bad filter is one 400 naming the parameter and what it takes", async () => {
  const cases: Array<[string, RegExp]> = [
    [
      "status=failed,crashed",
      /^Invalid query string: status: "crashed" is not a run status \(running, paused/,
    ],
    ["status=", /status: "" is not a run status/],
    [
      "idPrefix=run%20a",
      /^Invalid query string: idPrefix: a run id has only letters, digits, "_", "\." and "-"\.$/,
    ],
    [
      "createdAfter=yesterday",
      /^Invalid query string: createdAfter: "yesterday" is not a time like 2026-05-01 /,
    ],
    ["createdBefore=2026-02-31", /createdBefore: "2026-02-31" is not a time like/],
    ["createdAfter=2026-05-01T08:00", /createdAfter: "2026-05-01T08:00" is not a time like/],
    [
      "createdAfter=2026-05-02&createdBefore=2026-05-01",
      /^createdAfter must be earlier than createdBefore\.$/,
    ],
  ];
  for (const [query, message] of cases) {
    const res = await s.api(`/api/runs?${query}`, { token: s.tokens.acme });
    assertErrorShape(res, 400, "BAD_REQUEST");
    assert.match(res.body.error.message, message, query);
  }
});

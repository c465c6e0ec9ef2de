import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import type { RunRecord } from "../src/core/types.js";
import { openStore } from "../src/store/open-store.js";
import { cli } from "./helpers/cli.js";
import { runRecord } from "./helpers/records.js";
import { tempDir } from "./helpers/temp.js";

const cwd = tempDir();
const db = path.join(cwd, "cairn.db");
const MAY_1 = Date.UTC(2026, 4, 1);
const DAY = 86_400_000;

// A history written straight to the store: ids, statuses and start times chosen.
const store = await openStore(db);
await store.transaction(async (tx) => {
  const runs: Array<[string, RunRecord["status"], number, string | null]> = [
    ["nightly-1", "succeeded", MAY_1 + 1_000, null],
    ["nightly-2", "failed", MAY_1 + DAY + 1_000, null],
    ["adhoc-1", "failed", MAY_1 + DAY + 2_000, null],
    ["nightly-3", "interrupted", MAY_1 + 2 * DAY + 1_000, null],
    // Recorded as running, its driver unknown: shown (and found) as interrupted.
    ["nightly-4", "running", MAY_1 + 2 * DAY + 2_000, "gone-worker"],
  ];
  for (const [id, status, at, driverId] of runs)
    await tx.insertRun(runRecord(id, { status, createdAt: at, updatedAt: at, driverId }));
});
await store.close();

async function ls(...args: string[]): Promise<string[]> {
  const result = await cli(["--db", db, "ls", "--json", ...args], { cwd });
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as Array<{ id: string }>).map((r) => r.id);
}

test("cairn ls --status takes several statuses; interrupted includes a running run whose owner died", async () => {
  assert.deepEqual(await ls("--status", "failed,interrupted"), [
    "nightly-4",
    "nightly-3",
    "adhoc-1",
    "nightly-2",
  ]);
  assert.deepEqual(await ls("--status", "interrupted", "--limit", "1"), ["nightly-4"]);
  assert.deepEqual(await ls("--status", "running"), []);
});

test("cairn ls --id-prefix and --created-after/--created-before narrow the list, together too", async () => {
  assert.deepEqual(await ls("--id-prefix", "nightly-"), ["nightly-4", "nightly-3", "nightly-2", "nightly-1"]);
  assert.deepEqual(await ls("--id-prefix", "adhoc-1"), ["adhoc-1"]);
  assert.deepEqual(await ls("--created-after", "2026-05-02", "--created-before", "2026-05-03"), [
    "adhoc-1",
    "nightly-2",
  ]);
  assert.deepEqual(await ls("--created-before", "2026-05-01T02:00:02+02:00"), ["nightly-1"]);
  assert.deepEqual(
    await ls("--status", "failed", "--id-prefix", "nightly", "--created-after", "2026-05-02"),
    ["nightly-2"],
  );
  const table = await cli(["--db", db, "ls", "--id-prefix", "adhoc"], { cwd });
  assert.match(table.stdout, /^✗ failed +adhoc-1 +wf +2026-05-02 00:00/m);
});

test("a bad cairn ls filter is one sentence and exit 2", async () => {
  const cases: Array<[string[], RegExp]> = [
    [
      ["--status", "failed,done"],
      /^cairn: --status must be one of running, .* \(comma-separated for several\), got "done"\.$/,
    ],
    [
      ["--id-prefix", "run a"],
      /^cairn: --id-prefix takes the start of a run id: letters, digits, "_", "\." and "-"\.$/,
    ],
    [
      ["--created-after", "yesterday"],
      /^cairn: --created-after takes a time like 2026-05-01 \(midnight UTC\) or .*, got "yesterday"\.$/,
    ],
    [
      ["--created-after", "2026-05-03", "--created-before", "2026-05-02"],
      /^cairn: --created-after must be earlier than --created-before\.$/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await cli(["--db", db, "ls", ...args], { cwd });
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stdout, "");
    assert.match(result.stderr.trimEnd(), message);
    assert.equal(result.stderr.trimEnd().split("\n").length, 1);
  }
});

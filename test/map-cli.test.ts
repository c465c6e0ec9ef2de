// YAML map steps through the real `cairn` binary: the list output, a failed item resumed alone, and
// a SIGKILL in the middle of a map after which resume never re-runs an item that was recorded.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { BIN, cli } from "./helpers/cli.js";
import { readLines, tempDir } from "./helpers/temp.js";

/** `plan` lists `count` pages; `each` runs one shell command per page, writing its key to $LEDGER first. */
function mapFile(dir: string, count: number, command: string, concurrency = 2): string {
  const file = path.join(dir, "pages.yaml");
  const pages = Array.from({ length: count }, (_, i) => `{"name":"p${i}","size":${i}}`).join(",");
  fs.writeFileSync(
    file,
    `id: pages
steps:
  - id: plan
    run: echo '{"pages":[${pages}]}' > "$CAIRN_OUTPUT"
  - id: each
    map: { items: plan.pages, concurrency: ${concurrency}, key: name }
    run: |
      echo "$CAIRN_ITEM_KEY" >> "$LEDGER"
${command
  .split("\n")
  .map((line) => `      ${line}`)
  .join("\n")}
`,
  );
  return file;
}

const DB = (dir: string) => path.join(dir, ".cairn", "cairn.db");

test("a YAML map runs a shell command per item; the output is the list; a failed item is resumed alone", async () => {
  const dir = tempDir();
  const ledger = path.join(dir, "ledger");
  const command = [
    'test "$CAIRN_ITEM_KEY" != p1 || test -f "$FIXED" || { echo "page p1 is broken" >&2; exit 3; }',
    'node -e \'const i = JSON.parse(require("fs").readFileSync(process.env.CAIRN_ITEM_FILE, "utf8")); console.log(JSON.stringify({ page: i.name, index: Number(process.env.CAIRN_ITEM_INDEX), item: JSON.parse(process.env.CAIRN_ITEM).size }))\' > "$CAIRN_OUTPUT"',
  ].join("\n");
  const file = mapFile(dir, 3, command);
  const env = { LEDGER: ledger, FIXED: path.join(dir, "fixed") };
  const run = await cli(["run", file, "--id", "m1"], { cwd: dir, env });
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stdout,
    /1 of 3 items failed; first: item "p1": Command exited with code 3: page p1 is broken/,
  );
  assert.match(run.stdout, /each {2}3\/3 items, 1 failed/, "the map's progress (step.items) is printed");

  const dry = await cli(["resume", "m1", "--dry-run"], { cwd: dir, env });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /retry +each +failed: .*map: 2 succeeded kept, 1 failed to retry/);

  const show = await cli(["show", "m1"], { cwd: dir, env });
  assert.match(show.stdout, /items: 2 succeeded, 1 failed; first error: p1: Command exited with code 3/);

  // The items themselves: the failed ones alone, all of them as JSON, and one item's log lines.
  const failed = await cli(["show", "m1", "--step", "each", "--status", "failed"], { cwd: dir, env });
  assert.equal(failed.code, 0, failed.stderr);
  assert.match(failed.stdout, /step each: items 2 succeeded, 1 failed/);
  assert.match(failed.stdout, /^p1 +. failed +1 +\S+ +Command exited with code 3: page p1 is broken$/m);
  assert.doesNotMatch(failed.stdout, /^p0 /m);
  const items = JSON.parse((await cli(["show", "m1", "--step", "each", "--json"], { cwd: dir, env })).stdout);
  assert.deepEqual(
    items.items.map((i: { key: string; status: string; output: unknown }) => [i.key, i.status, i.output]),
    [
      ["p0", "succeeded", { page: "p0", index: 0, item: 0 }],
      ["p1", "failed", null],
      ["p2", "succeeded", { page: "p2", index: 2, item: 2 }],
    ],
  );
  assert.deepEqual(items.counts, { succeeded: 2, failed: 1 });
  const limited = await cli(["show", "m1", "--step", "each", "--limit", "1"], { cwd: dir, env });
  assert.match(limited.stdout, /^p0 /m);
  assert.doesNotMatch(limited.stdout, /^p2 /m);
  assert.match(limited.stdout, /more items: raise --limit/);
  const itemLog = await cli(["logs", "m1", "--step", "each", "--item", "p1"], { cwd: dir, env });
  assert.equal(itemLog.code, 0, itemLog.stderr);
  assert.match(itemLog.stdout, /page p1 is broken/);
  assert.doesNotMatch(itemLog.stdout, /\[item /, "the item prefix is removed");
  const noStep = await cli(["show", "m1", "--step", "nope"], { cwd: dir, env });
  assert.equal(noStep.code, 2, noStep.stderr);
  assert.match(noStep.stderr, /Run "m1" has no step "nope" \(its steps: plan, each\)/);
  const notMap = await cli(["show", "m1", "--step", "plan"], { cwd: dir, env });
  assert.match(notMap.stdout, /step plan has no recorded items/);
  const badStatus = await cli(["show", "m1", "--step", "each", "--status", "running"], { cwd: dir, env });
  assert.equal(badStatus.code, 2);
  assert.match(badStatus.stderr, /--status with --step must be one of succeeded, failed, got "running"/);
  const itemAlone = await cli(["logs", "m1", "--item", "p1"], { cwd: dir, env });
  assert.equal(itemAlone.code, 2);
  assert.match(itemAlone.stderr, /--item needs --step <map step>/);

  fs.writeFileSync(env.FIXED, "");
  const resumed = await cli(["resume", "m1", "--json"], { cwd: dir, env });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(readLines(ledger).sort(), ["p0", "p1", "p1", "p2"], "only the failed item ran again");

  // A rerun of one chosen item: its plan first, then only that item runs in the new run.
  const chosen = await cli(["rerun", "m1", "--from", "each", "--items", "p2", "--dry-run"], {
    cwd: dir,
    env,
  });
  assert.equal(chosen.code, 0, chosen.stderr);
  assert.match(chosen.stdout, /map: 2 succeeded reused, 1 chosen to run again, 0 failed to retry/);
  const rerun = await cli(["rerun", "m1", "--from", "each", "--items", "p2", "--json"], { cwd: dir, env });
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.deepEqual(readLines(ledger).sort(), ["p0", "p1", "p1", "p2", "p2"], "only the chosen item ran");
  const unknown = await cli(["rerun", "m1", "--from", "each", "--items", "p9"], { cwd: dir, env });
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /has no recorded item "p9" \(its items: "p0", "p1", "p2"\)/);
  const noFrom = await cli(["rerun", "m1", "--failed", "--items", "p2"], { cwd: dir, env });
  assert.equal(noFrom.code, 2);
  assert.match(noFrom.stderr, /--items needs --from MAP_STEP/);
  const store = SqliteStore.open(DB(dir));
  try {
    const each = (await store.getSteps("m1", ["each"]))[0]!;
    assert.deepEqual(each.output, [
      { page: "p0", index: 0, item: 0 },
      { page: "p1", index: 1, item: 1 },
      { page: "p2", index: 2, item: 2 },
    ]);
  } finally {
    await store.close();
  }
});

test("SIGKILL of `cairn run` in the middle of a map, then `cairn resume`: no recorded item runs again", async () => {
  const dir = tempDir();
  const ledger = path.join(dir, "ledger");
  const count = 24;
  const file = mapFile(dir, count, 'sleep 0.1\necho "\\"$CAIRN_ITEM_KEY done\\"" > "$CAIRN_OUTPUT"', 3);
  const env = { ...process.env, NO_COLOR: "1", LEDGER: ledger };
  const child = spawn(process.execPath, [BIN, "run", file, "--id", "k1"], { cwd: dir, env, stdio: "ignore" });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  // Kill once a third of the items have started: some recorded, some in flight.
  while (!fs.existsSync(ledger) || readLines(ledger).length < count / 3)
    await new Promise((resolve) => setTimeout(resolve, 20));
  child.kill("SIGKILL");
  await exited;

  const before = SqliteStore.open(DB(dir));
  const recorded = (await before.getItems("k1", "each"))
    .filter((i) => i.status === "succeeded")
    .map((i) => i.key);
  await before.close();
  assert.ok(
    recorded.length > 0 && recorded.length < count,
    `recorded ${recorded.length} of ${count} before the kill`,
  );

  const resumed = await cli(["resume", "k1"], { cwd: dir, env: { LEDGER: ledger }, timeoutMs: 60_000 });
  assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  const runs = new Map<string, number>();
  for (const key of readLines(ledger)) runs.set(key, (runs.get(key) ?? 0) + 1);
  for (const key of recorded) assert.equal(runs.get(key), 1, `recorded item ${key} ran again`);
  assert.equal(runs.size, count, "every item ran");
  const after = SqliteStore.open(DB(dir));
  try {
    const each = (await after.getSteps("k1", ["each"]))[0]!;
    assert.deepEqual(
      each.output,
      Array.from({ length: count }, (_, i) => `p${i} done`),
    );
  } finally {
    await after.close();
  }
});

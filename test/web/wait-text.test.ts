import assert from "node:assert/strict";
import { test } from "node:test";
import { webModule } from "./helpers/web-module.js";

// What the run page says a parked step waits for: its times in the page's own format and time zone,
// not the API's ISO 8601 UTC.
interface Wait {
  kind: "sleep" | "signal" | "child";
  until: number | null;
  signal: string | null;
  childRunId: string | null;
  schema: unknown;
  description: string;
}
const { waitText } = await webModule<{ waitText(wait: Wait): string }>("run/wait-text.ts");
const { formatTime } = await webModule<{ formatTime(at: number): string }>("format.ts");

const until = Date.parse("2026-12-04T17:00:00.000Z");
const base = { until: null, signal: null, childRunId: null, schema: null };

test("a sleep says when it wakes, as the page writes times", () => {
  const text = waitText({
    ...base,
    kind: "sleep",
    until,
    description: "sleeping until 2026-12-04T17:00:00.000Z",
  });
  assert.equal(text, `sleeping until ${formatTime(until)}`);
  assert.match(text, /^sleeping until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
});

test("a signal names itself, with its timeout when it has one; a child run keeps the API's words", () => {
  const signal = { ...base, kind: "signal" as const, signal: "approval" };
  assert.equal(
    waitText({ ...signal, description: 'waiting for signal "approval"' }),
    'waiting for signal "approval"',
  );
  assert.equal(
    waitText({ ...signal, until, description: "…" }),
    `waiting for signal "approval" (timeout ${formatTime(until)})`,
  );
  const child = 'waiting for child run "r.sales.1" (workflow "daily-sales")';
  assert.equal(waitText({ ...base, kind: "child", childRunId: "r.sales.1", description: child }), child);
});

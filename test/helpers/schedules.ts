import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { scheduledRunId } from "../../src/engine/scheduler.js";
import type { CairnClient } from "../../src/index.js";

/** The tick a scheduled run was started for: its id begins with the tick in base 36. */
export function tickOf(runId: string): number {
  return Number.parseInt(runId.slice(4, 13), 36);
}

/** The ticks (sorted) at which a schedule started runs, read from the store. */
export async function scheduledTicks(
  client: CairnClient,
  workflowId: string,
  name: string,
): Promise<number[]> {
  const runs = await client.list({ workflowId, limit: 1000 });
  return runs
    .filter((r) => r.id === scheduledRunId(workflowId, name, tickOf(r.id)))
    .map((r) => tickOf(r.id))
    .sort((a, b) => a - b);
}

export function assertConsecutive(ticks: readonly number[], everyMs: number): void {
  for (let i = 1; i < ticks.length; i++)
    assert.equal(
      ticks[i]! - ticks[i - 1]!,
      everyMs,
      `ticks ${ticks.map((t) => new Date(t).toISOString()).join(", ")}: no gap, no duplicate`,
    );
}

/** A daily cron whose tick is `agoMs` before now (UTC), so that its lateness is known at any hour. */
export function dailyCronAgo(agoMs: number): string {
  const at = new Date(Date.now() - agoMs);
  return `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

/** A workflow file with the given schedules (YAML lines) and one quick step. */
export function writeScheduledWorkflow(dir: string, id: string, schedules: readonly string[]): string {
  const file = path.join(dir, `${id}.yaml`);
  fs.writeFileSync(
    file,
    [
      `id: ${id}`,
      "schedules:",
      ...schedules.map((s) => `  ${s}`),
      "steps:",
      "  - id: s",
      "    run: echo tick",
      "",
    ].join("\n"),
  );
  return file;
}

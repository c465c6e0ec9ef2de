import { stripVTControlCharacters } from "node:util";
import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import type { ItemRecord, ItemStatus } from "../core/types.js";
import { icon, truncated } from "./format.js";

/**
 * `cairn show <run> --step <map>`: the step's item counts, then one row per listed item (key, status,
 * attempts, duration, then its output or its error's first line), and a hint when more items match.
 */
export function itemTable(
  stepId: string,
  items: readonly ItemRecord[],
  counts: Record<ItemStatus, number>,
  more: boolean,
): string {
  const head = `step ${stepId}: items ${counts.succeeded} succeeded, ${counts.failed} failed`;
  if (counts.succeeded + counts.failed === 0)
    return `step ${stepId} has no recorded items (a map step records each item once it settles).`;
  if (items.length === 0) return `${head}\nNo recorded items match.`;
  const rows = items.map((i) => [
    i.key,
    `${icon(i.status)} ${i.status}`,
    String(i.attempts),
    formatDuration(i.finishedAt - i.startedAt),
    i.status === "failed"
      ? pc.red(truncated(i.error?.message.split("\n")[0] ?? "", 120))
      : truncated(JSON.stringify(i.output), 120) +
        (i.fromRunId ? pc.dim(`  reused from ${i.fromRunId}`) : ""),
  ]);
  const header = ["KEY", "STATUS", "ATTEMPTS", "TOOK", "OUTPUT / ERROR"];
  const plain = stripVTControlCharacters;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => plain(row[i]!).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + " ".repeat(widths[i]! - plain(c).length))
      .join("  ")
      .trimEnd();
  const lines = [head, "", line(header), ...rows.map(line)];
  if (more) lines.push(pc.dim(`more items: raise --limit, or filter with --status`));
  return lines.join("\n");
}

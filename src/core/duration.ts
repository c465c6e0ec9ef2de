const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * A duration as milliseconds, from a number (ms) or a string such as "250ms", "30s", "5m", "1h".
 * Returns a readable problem instead of throwing so that validation can list every problem at once.
 */
export function parseDuration(value: unknown): number | { problem: string } {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return { problem: `must be a finite number of milliseconds, got ${value}` };
    if (value < 0) return { problem: `must not be negative, got ${value}` };
    return value;
  }
  if (typeof value === "string") {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
    if (!match) return { problem: `must be a duration like "500ms", "30s", "5m" or "1h", got "${value}"` };
    return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return { problem: `must be a number of milliseconds or a duration string, got ${typeof value}` };
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** How a time is written where Cairn reads one (the runs list's range), for error messages. */
export const TIMESTAMP_FORMS =
  "2026-05-01 (midnight UTC) or 2026-05-01T08:00:00Z (with Z or an offset like +02:00)";

/**
 * An ISO 8601 date (midnight UTC) or date and time with its offset, as ms since the epoch; null for
 * anything else, including a day that does not exist (2026-02-31) and a time without an offset, which
 * would mean a different instant on every machine.
 *
 * @example parseTimestamp("2026-05-01T08:00:00+02:00") // 1777615200000
 */
export function parseTimestamp(text: string): number | null {
  const match = TIMESTAMP.exec(text);
  if (!match) return null;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return ms;
}

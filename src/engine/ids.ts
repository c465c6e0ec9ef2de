import { randomBytes } from "node:crypto";

/**
 * Time-ordered ids: a millisecond timestamp in base 36 followed by random characters, so ids sort by
 * creation time and stay short in every row and event that repeats them.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, "0");
  const random = randomBytes(8).toString("base64url").replace(/[-_]/g, "x").slice(0, 10);
  return `${prefix}_${time}${random}`;
}

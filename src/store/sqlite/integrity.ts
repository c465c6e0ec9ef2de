import type Database from "better-sqlite3";

/** SQLite's own consistency check of the file; "ok" when there is nothing to report. */
export function checkIntegrity(db: Database.Database): string {
  return String(db.pragma("integrity_check", { simple: true }));
}

import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export interface Snapshot {
  integrity: string;
  steps: Map<string, { status: string; output: unknown; checkpoint: unknown }>;
  memos: Set<string>;
  runStatus: string | null;
}

/**
 * Inspect a COPY of a SQLite store (with its -wal and -shm files), so that the original's hot WAL is
 * left exactly as the killed process left it for the next process to recover.
 */
export function snapshot(dbFile: string, runId: string): Snapshot {
  const scratch = fs.mkdtempSync(path.join(path.dirname(dbFile), "snap-"));
  const copy = path.join(scratch, "copy.db");
  try {
    for (const suffix of ["", "-wal", "-shm"])
      if (fs.existsSync(dbFile + suffix)) fs.copyFileSync(dbFile + suffix, copy + suffix);
    if (!fs.existsSync(copy)) return { integrity: "ok", steps: new Map(), memos: new Set(), runStatus: null };
    const db = new Database(copy);
    try {
      const integrity = String(db.pragma("integrity_check", { simple: true }));
      const hasRuns = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'runs'").get();
      if (!hasRuns) return { integrity, steps: new Map(), memos: new Set(), runStatus: null };
      const run = db.prepare("SELECT status FROM runs WHERE id = ?").get(runId) as
        | { status: string }
        | undefined;
      const rows = db
        .prepare(
          "SELECT step_id, status, output, checkpoint FROM steps WHERE run_key = (SELECT key FROM runs WHERE id = ?)",
        )
        .all(runId) as Array<{
        step_id: string;
        status: string;
        output: string | null;
        checkpoint: string | null;
      }>;
      const memos = db.prepare("SELECT step_id, key FROM memos WHERE run_id = ?").all(runId) as Array<{
        step_id: string;
        key: string;
      }>;
      return {
        integrity,
        runStatus: run?.status ?? null,
        steps: new Map(
          rows.map((r) => [
            r.step_id,
            {
              status: r.status,
              output: r.output === null ? null : JSON.parse(r.output),
              checkpoint: r.checkpoint === null ? null : JSON.parse(r.checkpoint),
            },
          ]),
        ),
        memos: new Set(memos.map((m) => `${m.step_id}:${m.key}`)),
      };
    } finally {
      db.close();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

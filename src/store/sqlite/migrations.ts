import type Database from "better-sqlite3";
import { CairnError } from "../../core/errors.js";

/**
 * Versioned, forward-only migrations. Each runs once, in order, inside the BEGIN IMMEDIATE
 * transaction that opens the store, so two processes opening a new file at once cannot both apply it.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE workflows (
    id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, graph TEXT NOT NULL, source TEXT,
    updated_at INTEGER NOT NULL);
  CREATE TABLE workers (
    id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, pid_start TEXT, boot_id TEXT,
    started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL, lease_ms INTEGER NOT NULL, stopped_at INTEGER);
  CREATE TABLE runs (
    id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, tenant TEXT NOT NULL, status TEXT NOT NULL,
    input TEXT NOT NULL, output TEXT, error TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER,
    origin TEXT NOT NULL, parent_run_id TEXT, root_run_id TEXT NOT NULL, attempt INTEGER NOT NULL,
    driver_id TEXT, reason TEXT, workdir TEXT NOT NULL, secret_names TEXT NOT NULL,
    fingerprint TEXT NOT NULL, fail_fast INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX runs_by_tenant ON runs (tenant, created_at DESC, id DESC);
  CREATE INDEX runs_by_workflow ON runs (workflow_id, status, created_at DESC);
  CREATE INDEX runs_by_status ON runs (status, created_at);
  CREATE INDEX runs_by_parent ON runs (parent_run_id);
  CREATE TABLE steps (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL, needs TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, attempt_base INTEGER NOT NULL DEFAULT 0, recoveries INTEGER NOT NULL DEFAULT 0,
    output TEXT, vars TEXT, error TEXT, checkpoint TEXT, files TEXT,
    started_at INTEGER, finished_at INTEGER, ready_at INTEGER,
    lease_owner TEXT, lease_expires_at INTEGER, lease_epoch INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT, provenance TEXT,
    PRIMARY KEY (run_id, step_id));
  CREATE INDEX steps_by_status ON steps (run_id, status);
  CREATE INDEX steps_active ON steps (status, ready_at) WHERE status IN ('ready', 'running');
  CREATE TABLE memos (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (run_id, step_id, key));
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY, run_id TEXT NOT NULL, tenant TEXT NOT NULL, step_id TEXT,
    type TEXT NOT NULL, at INTEGER NOT NULL, data TEXT);
  CREATE INDEX events_by_run ON events (run_id, seq);
  CREATE TABLE logs (
    id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, step_id TEXT NOT NULL, attempt INTEGER NOT NULL,
    at INTEGER NOT NULL, stream TEXT NOT NULL, line TEXT NOT NULL);
  CREATE INDEX logs_by_step ON logs (run_id, step_id, id);
  CREATE TABLE run_attempts (
    run_id TEXT NOT NULL, number INTEGER NOT NULL, at INTEGER NOT NULL, trigger TEXT NOT NULL, actor TEXT,
    action TEXT NOT NULL, strategy TEXT, steps_done INTEGER NOT NULL, steps_total INTEGER NOT NULL,
    outcome TEXT, ended_at INTEGER, note TEXT,
    PRIMARY KEY (run_id, number));
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT, hash TEXT NOT NULL UNIQUE,
    read_only INTEGER NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
  `,
  // 2. steps_by_status held every step, so each status change moved two entries between the pending,
  // running and succeeded stretches of a run: ~3 of the ~9 pages a recorded step wrote, and 49 bytes
  // per step kept forever. Succeeded steps (nearly all of them) need no entry. Queries by status add
  // `status <> 'succeeded'` so that SQLite knows this partial index applies.
  `
  DROP INDEX steps_by_status;
  CREATE INDEX steps_unfinished ON steps (run_id, status) WHERE status <> 'succeeded';
  `,
  // 3. The 23-character run id was stored with every step and event, in their rows and in their
  // indexes: ~150 of the ~550 bytes a recorded step cost. Runs get an integer key (a rowid alias, so
  // it survives VACUUM) that steps and events refer to; an event's tenant is its run's. Steps are
  // clustered on (run_key, step_id) (WITHOUT ROWID: no second copy of the key in an index) and keep
  // their insertion order in `pos`.
  `
  CREATE TABLE runs_v3 (
    key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, workflow_id TEXT NOT NULL, tenant TEXT NOT NULL,
    status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER,
    origin TEXT NOT NULL, parent_run_id TEXT, root_run_id TEXT NOT NULL, attempt INTEGER NOT NULL,
    driver_id TEXT, reason TEXT, workdir TEXT NOT NULL, secret_names TEXT NOT NULL,
    fingerprint TEXT NOT NULL, fail_fast INTEGER NOT NULL DEFAULT 0);
  INSERT INTO runs_v3 (id, workflow_id, tenant, status, input, output, error, created_at, updated_at,
    finished_at, origin, parent_run_id, root_run_id, attempt, driver_id, reason, workdir, secret_names,
    fingerprint, fail_fast)
  SELECT id, workflow_id, tenant, status, input, output, error, created_at, updated_at,
    finished_at, origin, parent_run_id, root_run_id, attempt, driver_id, reason, workdir, secret_names,
    fingerprint, fail_fast
  FROM runs ORDER BY rowid;
  DROP TABLE runs;
  ALTER TABLE runs_v3 RENAME TO runs;
  CREATE INDEX runs_by_tenant ON runs (tenant, created_at DESC, id DESC);
  CREATE INDEX runs_by_workflow ON runs (workflow_id, status, created_at DESC);
  CREATE INDEX runs_by_status ON runs (status, created_at);
  CREATE INDEX runs_by_parent ON runs (parent_run_id);

  CREATE TABLE steps_v3 (
    run_key INTEGER NOT NULL, step_id TEXT NOT NULL, pos INTEGER NOT NULL,
    status TEXT NOT NULL, needs TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, attempt_base INTEGER NOT NULL DEFAULT 0, recoveries INTEGER NOT NULL DEFAULT 0,
    output TEXT, vars TEXT, error TEXT, checkpoint TEXT, files TEXT,
    started_at INTEGER, finished_at INTEGER, ready_at INTEGER,
    lease_owner TEXT, lease_expires_at INTEGER, lease_epoch INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT, provenance TEXT,
    PRIMARY KEY (run_key, step_id)) WITHOUT ROWID;
  INSERT INTO steps_v3 (run_key, step_id, pos, status, needs, attempts, attempt_base, recoveries, output,
    vars, error, checkpoint, files, started_at, finished_at, ready_at, lease_owner, lease_expires_at,
    lease_epoch, fingerprint, provenance)
  SELECT r.key, s.step_id, s.rowid, s.status, s.needs, s.attempts, s.attempt_base, s.recoveries, s.output,
    s.vars, s.error, s.checkpoint, s.files, s.started_at, s.finished_at, s.ready_at, s.lease_owner,
    s.lease_expires_at, s.lease_epoch, s.fingerprint, s.provenance
  FROM steps s JOIN runs r ON r.id = s.run_id;
  DROP TABLE steps;
  ALTER TABLE steps_v3 RENAME TO steps;
  CREATE INDEX steps_unfinished ON steps (run_key, status) WHERE status <> 'succeeded';
  CREATE INDEX steps_active ON steps (status, ready_at) WHERE status IN ('ready', 'running');

  CREATE TABLE events_v3 (
    seq INTEGER PRIMARY KEY, run_key INTEGER NOT NULL, step_id TEXT, type TEXT NOT NULL,
    at INTEGER NOT NULL, data TEXT);
  INSERT INTO events_v3 (seq, run_key, step_id, type, at, data)
  SELECT e.seq, r.key, e.step_id, e.type, e.at, e.data FROM events e JOIN runs r ON r.id = e.run_id;
  DROP TABLE events;
  ALTER TABLE events_v3 RENAME TO events;
  CREATE INDEX events_by_run ON events (run_key, seq);
  `,
  // 4. Run deadlines: the time limit of each start or resume, and when the current one runs out.
  `
  ALTER TABLE runs ADD COLUMN timeout_ms INTEGER;
  ALTER TABLE runs ADD COLUMN deadline_at INTEGER;
  `,
  // 5. The process group of a step's execution (a shell step), so that a re-run on the same machine
  // ends an orphaned one first.
  `
  CREATE TABLE step_processes (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, epoch INTEGER NOT NULL,
    host TEXT NOT NULL, boot_id TEXT, pgid INTEGER NOT NULL, pid_start TEXT,
    PRIMARY KEY (run_id, step_id)) WITHOUT ROWID;
  `,
  // 6. Retention (cairn gc, DELETE /api/runs/{id}): a deleted run leaves a tombstone, so that lineage
  // can say "deleted" and a gc killed between the rows and the directory finishes on the next one.
  `
  CREATE TABLE deleted_runs (
    id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, tenant TEXT NOT NULL, workdir TEXT NOT NULL,
    deleted_at INTEGER NOT NULL, workdir_removed_at INTEGER);
  CREATE INDEX deleted_runs_pending ON deleted_runs (deleted_at) WHERE workdir_removed_at IS NULL;
  `,
  // 7. The file each run's definition came from: a run is resumed with its own file, even when another
  // file with the same workflow id was loaded since.
  `ALTER TABLE runs ADD COLUMN source TEXT;`,
  // 8. The latest failed run of a workflow skips failures a later success of the same lineage healed:
  // finding a run's lineage by its root must not scan every run.
  `
  CREATE INDEX runs_by_root ON runs (root_run_id, status);
  `,
  // 9. What a parked step waits for (a durable sleep or a signal), shown as "sleeping until T".
  `
  ALTER TABLE steps ADD COLUMN wait TEXT;
  `,
  // 10. Signals sent to runs, kept until a wait takes them; a sender's key is accepted once.
  `
  CREATE TABLE signals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, name TEXT NOT NULL, key TEXT,
    data TEXT NOT NULL, sent_at INTEGER NOT NULL, taken_by TEXT, taken_at INTEGER);
  CREATE UNIQUE INDEX signals_by_key ON signals (run_id, name, key);
  CREATE INDEX signals_pending ON signals (run_id, name, seq) WHERE taken_at IS NULL;
  `,
  // 11. The first page of the runs list, all runs or one workflow's, sorted every run of the store
  // (or of the workflow) to return 50: 233 ms and 51 ms at 100,000 finished runs, against 0.2 ms
  // in a small store (bench/history.ts). The two new indexes are written once per run (created_at
  // and id never change). runs_by_workflow gains the id, so that a list by workflow and status (and
  // latestFailed) still reads it in order rather than walking the workflow's runs of every status.
  // The API always names the tenant: its list by status (the UI's "running" filter) walked
  // runs_by_tenant through the whole history when few runs have that status.
  `
  CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
  CREATE INDEX runs_by_tenant_status ON runs (tenant, status, created_at DESC, id DESC);
  CREATE INDEX runs_by_workflow_created ON runs (workflow_id, created_at DESC, id DESC);
  DROP INDEX runs_by_workflow;
  CREATE INDEX runs_by_workflow ON runs (workflow_id, status, created_at DESC, id DESC);
  `,
  // 12. Items of map steps, recorded as they settle (items still to run have no row). Listing a map's
  // failed items reads only those (by status); listing all reads them in item order.
  `
  CREATE TABLE step_items (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, item_key TEXT NOT NULL, item_index INTEGER NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL, output TEXT, error TEXT, from_run_id TEXT,
    started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, step_id, item_key)) WITHOUT ROWID;
  CREATE INDEX step_items_in_order ON step_items (run_id, step_id, item_index);
  CREATE INDEX step_items_by_status ON step_items (run_id, step_id, status, item_index);
  `,
  // The trace context of a run's current attempt (a W3C traceparent), when tracing is on.
  `ALTER TABLE runs ADD COLUMN trace_parent TEXT;`,
  // Runs per workflow and status, kept by triggers in the transaction that changes a run, so /metrics
  // reads a few rows instead of counting the whole history (2 s at 1,000,000 runs). A migration that
  // rebuilds the runs table must create these triggers again.
  `
  CREATE TABLE run_counts (
    workflow_id TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, status)) WITHOUT ROWID;
  INSERT INTO run_counts (workflow_id, status, n)
    SELECT workflow_id, status, count(*) FROM runs GROUP BY workflow_id, status;
  CREATE TRIGGER runs_counted_insert AFTER INSERT ON runs BEGIN
    INSERT INTO run_counts (workflow_id, status, n) VALUES (NEW.workflow_id, NEW.status, 1)
      ON CONFLICT (workflow_id, status) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER runs_counted_delete AFTER DELETE ON runs BEGIN
    UPDATE run_counts SET n = n - 1 WHERE workflow_id = OLD.workflow_id AND status = OLD.status;
  END;
  CREATE TRIGGER runs_counted_update AFTER UPDATE OF status ON runs WHEN OLD.status <> NEW.status BEGIN
    UPDATE run_counts SET n = n - 1 WHERE workflow_id = OLD.workflow_id AND status = OLD.status;
    INSERT INTO run_counts (workflow_id, status, n) VALUES (NEW.workflow_id, NEW.status, 1)
      ON CONFLICT (workflow_id, status) DO UPDATE SET n = n + 1;
  END;
  `,
  // Schedules of workflows: whether paused, and the latest tick handled. Claiming a tick is one
  // compare-and-set on last_tick, so one run starts per tick however many workers try.
  `
  CREATE TABLE schedules (
    workflow_id TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, paused INTEGER NOT NULL DEFAULT 0,
    last_tick INTEGER NOT NULL, last_run_id TEXT, updated_at INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, name));
  `,
  // Workflow versions stored as data (over the API), per tenant, addressed by content. seq orders
  // them (two versions stored in one millisecond still have a newest).
  `
  CREATE TABLE workflow_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, workflow_id TEXT NOT NULL,
    version TEXT NOT NULL, definition TEXT NOT NULL, created_at INTEGER NOT NULL,
    UNIQUE (tenant, workflow_id, version));
  CREATE INDEX workflow_versions_newest ON workflow_versions (tenant, workflow_id, seq);
  `,
  // Child runs: the run and step whose ctx.runWorkflow started a run (null for any other run); the
  // caller's lineage panel lists its child runs by caller_run_id.
  `
  ALTER TABLE runs ADD COLUMN caller_run_id TEXT;
  ALTER TABLE runs ADD COLUMN caller_step_id TEXT;
  CREATE INDEX runs_by_caller ON runs (caller_run_id) WHERE caller_run_id IS NOT NULL;
  `,
  // The stored version a run executes (runs of workflows stored as data); null for registered ones.
  `ALTER TABLE runs ADD COLUMN workflow_version TEXT;`,
  // Map items cost 186 bytes each in the store (a 10,000-item map of no-op items): the run id, step
  // id and key were stored in the row and again in two indexes, one of which held every item by
  // status. Items now refer to their run by its key and are clustered on (run, step, index), so that
  // reading in item order, and one item by its index, is the table itself. The key is stored only
  // when it is not the item's index (a map without `key`: never), with a unique index over those;
  // only failed items have an entry in the status index. 186 → 53 bytes per item.
  // Should an earlier store hold two items at one index (no Cairn wrote that), the later one stays.
  `
  CREATE TABLE step_items_v2 (
    run_key INTEGER NOT NULL, step_id TEXT NOT NULL, item_index INTEGER NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL, output TEXT, error TEXT,
    started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL, item_key TEXT, from_run_id TEXT,
    PRIMARY KEY (run_key, step_id, item_index)) WITHOUT ROWID;
  INSERT OR REPLACE INTO step_items_v2 (run_key, step_id, item_index, status, attempts, output, error,
    started_at, finished_at, item_key, from_run_id)
  SELECT r.key, i.step_id, i.item_index, i.status, i.attempts, i.output, i.error, i.started_at,
    i.finished_at, CASE WHEN i.item_key = CAST(i.item_index AS TEXT) THEN NULL ELSE i.item_key END,
    i.from_run_id
  FROM step_items i JOIN runs r ON r.id = i.run_id ORDER BY i.finished_at;
  DROP TABLE step_items;
  ALTER TABLE step_items_v2 RENAME TO step_items;
  CREATE UNIQUE INDEX step_items_by_key ON step_items (run_key, step_id, item_key) WHERE item_key IS NOT NULL;
  CREATE INDEX step_items_failed ON step_items (run_key, step_id, item_index) WHERE status = 'failed';
  `,
];

/**
 * Bring the schema of a newly opened database up to the latest version, in one BEGIN IMMEDIATE
 * transaction. On failure the database is closed and the error thrown.
 */
export function migrate(db: Database.Database, file: string): void {
  const known = SQLITE_MIGRATIONS.length;
  db.exec("BEGIN IMMEDIATE");
  try {
    const current = readSchemaVersion(db);
    if (current > known)
      throw new CairnError(
        "STORE",
        `The store at ${file} was created by a newer Cairn (schema version ${current}; this Cairn knows up to ${known}). Upgrade Cairn to open it.`,
      );
    for (let version = current + 1; version <= known; version++) {
      db.exec(SQLITE_MIGRATIONS[version - 1]!);
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(
        String(version),
      );
    }
    db.exec("COMMIT");
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    db.close();
    throw error;
  }
}

/** The schema version recorded in the database; 0 for a new, empty one. */
export function readSchemaVersion(db: Database.Database): number {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return 0;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  return Number(row?.value ?? 0);
}

import type pg from "pg";
import { CairnError } from "../../core/errors.js";
import type { Queryable } from "./pg-sql.js";

/**
 * Versioned, forward-only migrations. The column names are SQLite's (one column map in columns.ts
 * serves both stores); JSON is TEXT, times are BIGINT milliseconds, flags are INTEGER 0/1.
 * `steps.row_order` is PostgreSQL-only: SQLite returns a run's steps in rowid (definition) order.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE workflows (
    id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, graph TEXT NOT NULL, source TEXT,
    updated_at BIGINT NOT NULL);
  CREATE TABLE workers (
    id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, pid_start TEXT, boot_id TEXT,
    started_at BIGINT NOT NULL, heartbeat_at BIGINT NOT NULL, lease_ms INTEGER NOT NULL, stopped_at BIGINT);
  CREATE TABLE runs (
    id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, tenant TEXT NOT NULL, status TEXT NOT NULL,
    input TEXT NOT NULL, output TEXT, error TEXT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, finished_at BIGINT,
    origin TEXT NOT NULL, parent_run_id TEXT, root_run_id TEXT NOT NULL, attempt INTEGER NOT NULL,
    driver_id TEXT, reason TEXT, workdir TEXT NOT NULL, secret_names TEXT NOT NULL,
    fingerprint TEXT NOT NULL, fail_fast INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX runs_by_tenant ON runs (tenant, created_at DESC, id DESC);
  CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
  CREATE INDEX runs_by_workflow ON runs (workflow_id, status, created_at DESC);
  CREATE INDEX runs_by_status ON runs (status, created_at);
  CREATE INDEX runs_by_parent ON runs (parent_run_id);
  CREATE TABLE steps (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL, needs TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, attempt_base INTEGER NOT NULL DEFAULT 0, recoveries INTEGER NOT NULL DEFAULT 0,
    output TEXT, vars TEXT, error TEXT, checkpoint TEXT, files TEXT,
    started_at BIGINT, finished_at BIGINT, ready_at BIGINT,
    lease_owner TEXT, lease_expires_at BIGINT, lease_epoch INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT, provenance TEXT,
    row_order BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (run_id, step_id));
  CREATE INDEX steps_by_status ON steps (run_id, status);
  CREATE INDEX steps_active ON steps (status, ready_at) WHERE status IN ('ready', 'running');
  CREATE TABLE memos (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, at BIGINT NOT NULL,
    PRIMARY KEY (run_id, step_id, key));
  CREATE TABLE events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id TEXT NOT NULL, tenant TEXT NOT NULL, step_id TEXT,
    type TEXT NOT NULL, at BIGINT NOT NULL, data TEXT);
  CREATE INDEX events_by_run ON events (run_id, seq);
  CREATE INDEX events_by_tenant ON events (tenant, seq);
  CREATE TABLE logs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id TEXT NOT NULL, step_id TEXT NOT NULL,
    attempt INTEGER NOT NULL, at BIGINT NOT NULL, stream TEXT NOT NULL, line TEXT NOT NULL);
  CREATE INDEX logs_by_step ON logs (run_id, step_id, id);
  CREATE TABLE run_attempts (
    run_id TEXT NOT NULL, number INTEGER NOT NULL, at BIGINT NOT NULL, trigger TEXT NOT NULL, actor TEXT,
    action TEXT NOT NULL, strategy TEXT, steps_done INTEGER NOT NULL, steps_total INTEGER NOT NULL,
    outcome TEXT, ended_at BIGINT, note TEXT,
    PRIMARY KEY (run_id, number));
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT, hash TEXT NOT NULL UNIQUE,
    read_only INTEGER NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
  `,
  // 2. Run deadlines: the time limit of each start or resume, and when the current one runs out.
  `
  ALTER TABLE runs ADD COLUMN timeout_ms BIGINT;
  ALTER TABLE runs ADD COLUMN deadline_at BIGINT;
  `,
  // 3. The process group of a step's execution (a shell step), so that a re-run on the same machine
  // ends an orphaned one first.
  `
  CREATE TABLE step_processes (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, epoch INTEGER NOT NULL,
    host TEXT NOT NULL, boot_id TEXT, pgid INTEGER NOT NULL, pid_start TEXT,
    PRIMARY KEY (run_id, step_id));
  `,
  // 4. A random token per write transaction, written in it: after a connection lost during COMMIT, the
  // token's row exists exactly when the transaction committed. Rows older than an hour are deleted.
  `
  CREATE TABLE commit_tokens (token TEXT PRIMARY KEY, at BIGINT NOT NULL);
  CREATE INDEX commit_tokens_by_at ON commit_tokens (at);
  `,
  // 5. Retention (cairn gc, DELETE /api/runs/{id}): a deleted run leaves a tombstone, so that lineage
  // can say "deleted" and a gc killed between the rows and the directory finishes on the next one.
  `
  CREATE TABLE deleted_runs (
    id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, tenant TEXT NOT NULL, workdir TEXT NOT NULL,
    deleted_at BIGINT NOT NULL, workdir_removed_at BIGINT);
  CREATE INDEX deleted_runs_pending ON deleted_runs (deleted_at) WHERE workdir_removed_at IS NULL;
  `,
  // 6. The file each run's definition came from: a run is resumed with its own file, even when another
  // file with the same workflow id was loaded since.
  `ALTER TABLE runs ADD COLUMN source TEXT;`,
  // 7. The latest failed run of a workflow skips failures a later success of the same lineage healed:
  // finding a run's lineage by its root must not scan every run.
  `
  CREATE INDEX runs_by_root ON runs (root_run_id, status);
  `,
  // 8. What a parked step waits for (a durable sleep or a signal), shown as "sleeping until T".
  `
  ALTER TABLE steps ADD COLUMN wait TEXT;
  `,
  // 9. Signals sent to runs, kept until a wait takes them; a sender's key is accepted once.
  `
  CREATE TABLE signals (
    seq BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, name TEXT NOT NULL, key TEXT,
    data TEXT NOT NULL, sent_at BIGINT NOT NULL, taken_by TEXT, taken_at BIGINT);
  CREATE UNIQUE INDEX signals_by_key ON signals (run_id, name, key);
  CREATE INDEX signals_pending ON signals (run_id, name, seq) WHERE taken_at IS NULL;
  `,
  // 10. Items of map steps, recorded as they settle (items still to run have no row). Listing a map's
  // failed items reads only those (by status); listing all reads them in item order.
  `
  CREATE TABLE step_items (
    run_id TEXT NOT NULL, step_id TEXT NOT NULL, item_key TEXT NOT NULL, item_index INTEGER NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL, output TEXT, error TEXT, from_run_id TEXT,
    started_at BIGINT NOT NULL, finished_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, step_id, item_key));
  CREATE INDEX step_items_in_order ON step_items (run_id, step_id, item_index);
  CREATE INDEX step_items_by_status ON step_items (run_id, step_id, status, item_index);
  `,
  // The trace context of a run's current attempt (a W3C traceparent), when tracing is on.
  `ALTER TABLE runs ADD COLUMN trace_parent TEXT;`,
  // Runs per workflow and status for /metrics without counting the whole history. Triggers append
  // +1/-1 rows in the transaction that changes a run, and a reader folds them (metrics.ts): appending
  // takes no lock that two workers finishing runs of one workflow would wait for, as one counter row
  // per workflow and status would. Trigger first: it locks runs until commit, so the seed below
  // counts every run exactly once. The function keeps this schema's search_path.
  `
  CREATE TABLE run_count_deltas (workflow_id TEXT NOT NULL, status TEXT NOT NULL, n BIGINT NOT NULL);
  CREATE FUNCTION cairn_run_count_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    INSERT INTO run_count_deltas (workflow_id, status, n)
      SELECT workflow_id, status, count(*) FROM added GROUP BY workflow_id, status;
    RETURN NULL;
  END $$;
  CREATE FUNCTION cairn_run_count_delete() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    INSERT INTO run_count_deltas (workflow_id, status, n)
      SELECT workflow_id, status, -count(*) FROM removed GROUP BY workflow_id, status;
    RETURN NULL;
  END $$;
  CREATE FUNCTION cairn_run_count_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
  BEGIN
    INSERT INTO run_count_deltas (workflow_id, status, n)
      VALUES (OLD.workflow_id, OLD.status, -1), (NEW.workflow_id, NEW.status, 1);
    RETURN NULL;
  END $$;
  CREATE TRIGGER runs_counted_insert AFTER INSERT ON runs REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION cairn_run_count_insert();
  CREATE TRIGGER runs_counted_delete AFTER DELETE ON runs REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION cairn_run_count_delete();
  CREATE TRIGGER runs_counted_update AFTER UPDATE OF status ON runs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION cairn_run_count_update();
  INSERT INTO run_count_deltas (workflow_id, status, n)
    SELECT workflow_id, status, count(*) FROM runs GROUP BY workflow_id, status;
  `,
  // Schedules of workflows: whether paused, and the latest tick handled. Claiming a tick is one
  // compare-and-set on last_tick (the row lock makes a second worker re-read it), so one run starts
  // per tick however many workers try.
  `
  CREATE TABLE schedules (
    workflow_id TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, paused INTEGER NOT NULL DEFAULT 0,
    last_tick BIGINT NOT NULL, last_run_id TEXT, updated_at BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, name));
  `,
  // Workflow versions stored as data (over the API), per tenant, addressed by content. seq orders
  // them (two versions stored in one millisecond still have a newest).
  `
  CREATE TABLE workflow_versions (
    seq BIGSERIAL PRIMARY KEY, tenant TEXT NOT NULL, workflow_id TEXT NOT NULL,
    version TEXT NOT NULL, definition TEXT NOT NULL, created_at BIGINT NOT NULL,
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
  // The runs list's search by id prefix: a range of ids compared byte by byte. The primary key
  // follows the database's collation, in which a range of ids is not a prefix (en_US sorts "run_a"
  // between "runa" and "runb") and the planner cannot use it; ids never change, so this index is
  // written once per run.
  `CREATE INDEX runs_by_id_bytes ON runs (id COLLATE "C");`,
];

/**
 * Advisory lock keys (two-int form: class, hashtext(schema)), so stores in different schemas of one
 * database never wait for each other. "Cair" in ASCII, plus one.
 */
export const MIGRATION_LOCK = 0x43616972;
export const EVENTS_LOCK = 0x43616973;

/**
 * Bring the schema up to date. Runs in one transaction under `pg_advisory_xact_lock`, so when several
 * workers start at once the first applies the migrations and the others wait, then find nothing to do.
 */
export async function migrate(client: Queryable, schema: string | null, where: string): Promise<void> {
  const known = PG_MIGRATIONS.length;
  await client.query("BEGIN");
  try {
    await client.query(
      "SELECT pg_advisory_xact_lock($1, hashtext(coalesce($2::text, current_schema()::text)))",
      [MIGRATION_LOCK, schema],
    );
    if (schema !== null) {
      // Only when missing: CREATE SCHEMA checks the CREATE privilege even with IF NOT EXISTS.
      const { rows } = await client.query("SELECT to_regnamespace($1) IS NULL AS missing", [
        quoteIdent(schema),
      ]);
      if (rows[0]?.missing) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    }
    const { rows: metaRows } = await client.query("SELECT to_regclass('meta') IS NOT NULL AS present");
    let current = 0;
    if (metaRows[0]?.present) {
      const { rows } = await client.query("SELECT value FROM meta WHERE key = 'schema_version'");
      current = Number(rows[0]?.value ?? 0);
    }
    if (current > known)
      throw new CairnError(
        "STORE",
        `The store at ${where} was created by a newer Cairn (schema version ${current}; this Cairn knows up to ${known}). Upgrade Cairn to open it.`,
      );
    for (let version = current + 1; version <= known; version++) {
      await client.query(PG_MIGRATIONS[version - 1]!);
      await client.query(
        "INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [String(version)],
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Create the schema and tables when needed (under the migration lock); the schema's actual name. */
export async function prepareSchema(pool: pg.Pool, schema: string, where: string): Promise<string> {
  const client = await pool.connect();
  client.on("error", () => undefined);
  try {
    await migrate(client as unknown as Queryable, schema, where);
    const { rows } = await client.query("SELECT current_schema() AS name");
    client.release();
    return String(rows[0]?.name ?? "public");
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
}

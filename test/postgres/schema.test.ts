// Cairn's tables live in their own schema (`cairn` by default), so a database that already has tables
// named `events` or `runs` works; `cairn migrate` applies the migrations on purpose and reports.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { cli } from "../helpers/cli.js";
import { PG_URL, requirePg } from "../helpers/pg.js";
import { tempDir } from "../helpers/temp.js";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

test("a database with its own `events` and `runs` tables: Cairn migrates into schema cairn and runs there", async (t) => {
  if (!(await requirePg(t))) return;
  const name = `cairn_schema_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const app = new pg.Client({ connectionString: url.toString() });
  await app.connect();
  t.after(async () => {
    await app.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  // The application's own tables, in public.
  await app.query(
    "CREATE TABLE events (id serial PRIMARY KEY, note text); INSERT INTO events (note) VALUES ('mine')",
  );
  await app.query("CREATE TABLE runs (lap int)");

  const dir = tempDir();
  const migrated = await cli(["--db", url.toString(), "migrate"], { cwd: dir });
  assert.equal(migrated.code, 0, migrated.stderr);
  const { rows } = await app.query("SELECT value FROM cairn.meta WHERE key = 'schema_version'");
  const version = Number(rows[0].value);
  assert.ok(version >= 2);
  assert.equal(
    migrated.stdout,
    `Store (PostgreSQL) is at schema version ${version} (the latest this Cairn knows: ${version}).\n`,
  );
  const again = await cli(["--db", url.toString(), "migrate", "--json"], { cwd: dir });
  assert.deepEqual(JSON.parse(again.stdout), { schemaVersion: version, latest: version });

  // A run works; its rows are in cairn.*, the application's tables are untouched.
  const ran = await cli(["--db", url.toString(), "run", path.join(FIXTURES, "mesh.mjs"), "--json"], {
    cwd: dir,
    env: { CAIRN_TEST_LEDGER: path.join(dir, "ledger.txt") },
  });
  assert.equal(ran.code, 0, ran.stderr);
  const runId = (JSON.parse(ran.stdout) as { id: string }).id;
  assert.equal(
    (await app.query("SELECT status FROM cairn.runs WHERE id = $1", [runId])).rows[0].status,
    "succeeded",
  );
  assert.deepEqual((await app.query("SELECT note FROM public.events")).rows, [{ note: "mine" }]);
  assert.equal((await app.query("SELECT count(*)::int AS n FROM public.runs")).rows[0].n, 0);

  // ?schema= still chooses another schema.
  const other = new URL(url);
  other.searchParams.set("schema", "elsewhere");
  assert.equal((await cli(["--db", other.toString(), "migrate"], { cwd: dir })).code, 0);
  assert.equal(
    (await app.query("SELECT to_regclass('elsewhere.events') IS NOT NULL AS ok")).rows[0].ok,
    true,
  );
});

test("cairn migrate against an unreachable server: one sentence, exit code 2", async () => {
  const dir = tempDir();
  const result = await cli(["--db", "postgres://cairn:hunter2@127.0.0.1:1/nowhere", "migrate"], { cwd: dir });
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /^cairn: Cannot open the store at postgres:\/\/cairn:\*\*\*@127\.0\.0\.1:1\/nowhere \(schema cairn\): .+\.\n$/,
  );
  assert.doesNotMatch(result.stderr, /hunter2/);
});

import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import pg from "pg";
import { PostgresStore, type PostgresStoreOptions } from "../../src/store/postgres/postgres-store.js";

/** The server PostgreSQL tests use; `CAIRN_TEST_PG` overrides it. */
export const PG_URL = process.env.CAIRN_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";

let problem: Promise<string | null> | undefined;

/** null when the test server answers, otherwise why not (asked once per test file). */
export function pgProblem(): Promise<string | null> {
  problem ??= (async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("SELECT 1");
      return null;
    } catch (error) {
      return (error as Error).message || String(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return problem;
}

/**
 * Skip the test (visibly) when PostgreSQL is unreachable; with CI=true fail it instead, because
 * CI must not pass with its PostgreSQL tests silently skipped. Returns false when skipped.
 */
export async function requirePg(t: TestContext, url = PG_URL): Promise<boolean> {
  const why = url === PG_URL ? await pgProblem() : null;
  if (why === null) return true;
  const message = `PostgreSQL not reachable at ${url} (${why})`;
  if (process.env.CI === "true")
    throw new Error(`${message}. CI=true requires the PostgreSQL tests to run; start the server first.`);
  t.skip(message);
  return false;
}

export interface PgTestDb {
  /** The test's own schema, dropped after the test. */
  readonly schema: string;
  /** A location naming the schema (`?schema=`), for `--db`, `CAIRN_DB` and `openStore`. */
  readonly url: string;
  /** Open a store on the schema; every store opened here is closed before the schema is dropped. */
  open(options?: Omit<PostgresStoreOptions, "schema">): Promise<PostgresStore>;
  /** Run SQL inside the schema (to set up a state directly, or to look at rows). */
  sql(text: string, values?: unknown[]): Promise<Array<Record<string, unknown>>>;
}

/**
 * A fresh schema for this test, or null when the test was skipped (PostgreSQL unreachable, outside CI).
 * After the test, the stores opened here are closed and the schema is dropped. (`t.after` hooks run in
 * the order they were added, so close a Cairn that executes steps on such a store in the test itself.)
 */
export async function pgTestDb(t: TestContext): Promise<PgTestDb | null> {
  if (!(await requirePg(t))) return null;
  const schema = `cairn_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2, options: `-c search_path=${schema}` });
  admin.on("error", () => undefined);
  await admin.query(`CREATE SCHEMA ${schema}`);
  const stores: PostgresStore[] = [];
  t.after(async () => {
    for (const store of stores) await store.close().catch(() => undefined);
    try {
      await admin.query(`SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await admin.end();
    }
  });
  return {
    schema,
    url: `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}schema=${schema}`,
    async open(options = {}) {
      const store = await PostgresStore.open(PG_URL, { ...options, schema });
      stores.push(store);
      return store;
    },
    async sql(text, values = []) {
      return (await admin.query(text, values)).rows;
    },
  };
}

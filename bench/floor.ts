import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { type BenchContext, connectPg, repeat, summarise, tempDir } from "./report.js";
import { PAYLOAD } from "./workflows.js";

/**
 * The machine's own limit: one single-row INSERT per transaction, with the settings the store uses
 * (SQLite: WAL, BEGIN IMMEDIATE, synchronous FULL or NORMAL; PostgreSQL: autocommit, synchronous_commit
 * on). Engine figures are divided by these.
 */
function sqliteFloorUs(synchronous: "FULL" | "NORMAL", commits: number): number {
  const dir = tempDir("floor");
  const db = new Database(path.join(dir, "floor.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${synchronous}`);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    const begin = db.prepare("BEGIN IMMEDIATE");
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const commit = db.prepare("COMMIT");
    const t0 = performance.now();
    for (let i = 0; i < commits; i++) {
      begin.run();
      insert.run(PAYLOAD);
      commit.run();
    }
    return ((performance.now() - t0) * 1000) / commits;
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresFloorUs(commits: number): Promise<number | null> {
  const client = await connectPg();
  if (!client) return null;
  const schema = `cairn_bench_floor_${process.pid}`;
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.t (id bigserial PRIMARY KEY, v text NOT NULL)`);
    const sql = `INSERT INTO ${schema}.t (v) VALUES ($1)`;
    for (let i = 0; i < 50; i++) await client.query(sql, [PAYLOAD]); // warm the connection
    const t0 = performance.now();
    for (let i = 0; i < commits; i++) await client.query(sql, [PAYLOAD]);
    return ((performance.now() - t0) * 1000) / commits;
  } finally {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await client.end();
  }
}

export async function floor(ctx: BenchContext): Promise<void> {
  const sizes = ctx.quick ? { full: 300, normal: 3000, pg: 300 } : { full: 2000, normal: 20_000, pg: 2000 };
  for (const [key, synchronous, commits] of [
    ["sqlite-full", "FULL", sizes.full],
    ["sqlite-normal", "NORMAL", sizes.normal],
  ] as const) {
    const { us } = await repeat(ctx.reps, async () => ({ us: sqliteFloorUs(synchronous, commits) }));
    ctx.floors[key] = summarise(us).median;
    ctx.figures.push({
      scenario: "floor",
      name: `SQLite ${synchronous}: one-row commit (${commits}×)`,
      unit: "µs",
      values: us,
    });
    ctx.figures.push({
      scenario: "floor",
      name: `SQLite ${synchronous}: commits/s`,
      unit: "/s",
      values: us.map((u) => 1e6 / u),
    });
  }
  const pg: number[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const us = await postgresFloorUs(sizes.pg);
    if (us === null) break;
    pg.push(us);
  }
  if (pg.length === 0) {
    ctx.skipped.push({
      scenario: "floor",
      reason: "PostgreSQL: no server reachable at CAIRN_BENCH_PG or the default URL",
    });
    return;
  }
  ctx.floors.postgres = summarise(pg).median;
  ctx.figures.push({
    scenario: "floor",
    name: `PostgreSQL: one-row commit (${sizes.pg}×)`,
    unit: "µs",
    values: pg,
  });
  ctx.figures.push({
    scenario: "floor",
    name: "PostgreSQL: commits/s",
    unit: "/s",
    values: pg.map((u) => 1e6 / u),
  });
}

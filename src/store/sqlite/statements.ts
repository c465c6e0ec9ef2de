import type Database from "better-sqlite3";
import { type ColumnMap, toColumn } from "../columns.js";

/** SQL helpers shared by the SQLite store's statements. */

export type Row = Record<string, unknown>;

/** Prepared statements are cached by their SQL text and reused for the life of the connection. */
export class StatementCache {
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();
  readonly #raw = new Map<string, Database.Statement>();
  constructor(db: Database.Database) {
    this.#db = db;
  }
  get(sql: string): Database.Statement {
    let statement = this.#cache.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#cache.set(sql, statement);
    }
    return statement;
  }
  all(sql: string, ...params: unknown[]): Row[] {
    return this.get(sql).all(...params) as Row[];
  }
  one(sql: string, ...params: unknown[]): Row | undefined {
    return this.get(sql).get(...params) as Row | undefined;
  }
  run(sql: string, ...params: unknown[]): number {
    return this.get(sql).run(...params).changes;
  }
  /** Rows as arrays in column order: a quarter of the cost of row objects for many-column rows. */
  rows(sql: string, ...params: unknown[]): unknown[][] {
    let statement = this.#raw.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql).raw(true);
      this.#raw.set(sql, statement);
    }
    return statement.all(...params) as unknown[][];
  }
}

/**
 * Steps and events refer to their run by its integer key (schema version 3), found by the statement
 * itself from the run id the port speaks: `WHERE run_key = (SELECT key FROM runs WHERE id = ?)`.
 */
export const RUN_KEY = "(SELECT key FROM runs WHERE id = ?)";

export function insertSql<T>(map: ColumnMap<T>, mode = "INSERT"): string {
  const cols = Object.values(map.columns) as string[];
  return `${mode} INTO ${map.table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`;
}

export function values<T>(map: ColumnMap<T>, record: T): unknown[] {
  return (Object.keys(map.columns) as Array<keyof T>).map((k) => toColumn(map, k, record[k]));
}

export function setClause<T>(map: ColumnMap<T>, patch: Partial<T>): { sql: string; params: unknown[] } {
  const keys = (Object.keys(patch) as Array<keyof T>).filter((k) => patch[k] !== undefined);
  return {
    sql: keys.map((k) => `${map.columns[k]} = ?`).join(", "),
    params: keys.map((k) => toColumn(map, k, patch[k])),
  };
}

const PLACEHOLDERS: string[] = [];
export function placeholders(n: number): string {
  const cached = PLACEHOLDERS[n];
  if (cached !== undefined) return cached;
  const text = Array.from({ length: n }, () => "?").join(", ");
  if (n <= 64) PLACEHOLDERS[n] = text;
  return text;
}

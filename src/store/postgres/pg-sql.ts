import { type ColumnMap, toColumn } from "../columns.js";

export type Row = Record<string, unknown>;

/**
 * The slice of node-postgres this store uses: a pool and a checked-out client both answer it, so
 * the row operations do not depend on the driver's types.
 */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** Positional parameters ($1, $2, …) collected while a statement is built. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** INSERT of one or more records, every column of the map. */
export function insertSql<T>(map: ColumnMap<T>, records: readonly T[], params: Params): string {
  const keys = Object.keys(map.columns) as Array<keyof T>;
  const rows = records.map(
    (record) => `(${keys.map((k) => params.add(toColumn(map, k, record[k]))).join(", ")})`,
  );
  return `INSERT INTO ${map.table} (${keys.map((k) => map.columns[k]).join(", ")}) VALUES ${rows.join(", ")}`;
}

/** INSERT … ON CONFLICT (key) DO UPDATE of every other column. */
export function upsertSql<T>(map: ColumnMap<T>, record: T, key: keyof T, params: Params): string {
  const others = (Object.keys(map.columns) as Array<keyof T>)
    .filter((k) => k !== key)
    .map((k) => map.columns[k]);
  return `${insertSql(map, [record], params)} ON CONFLICT (${map.columns[key]}) DO UPDATE SET ${others
    .map((c) => `${c} = excluded.${c}`)
    .join(", ")}`;
}

/** `col = $n, …` for the defined fields of a patch; null when the patch sets nothing. */
export function setClause<T>(map: ColumnMap<T>, patch: Partial<T>, params: Params): string | null {
  const keys = (Object.keys(patch) as Array<keyof T>).filter((k) => patch[k] !== undefined);
  if (keys.length === 0) return null;
  return keys.map((k) => `${map.columns[k]} = ${params.add(toColumn(map, k, patch[k]))}`).join(", ");
}

/** The database clock in whole milliseconds (clock_timestamp: the time now, not the transaction start). */
export const NOW_MS = "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

const NODE_CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

const RETRYABLE_SERVER_CODES = new Set(["57P01", "57P02", "57P03", "25P03", "53300"]);

/**
 * Whether an error means the connection (not the statement) failed: the server is restarting or
 * unreachable, or it terminated the session. Whatever was not committed was rolled back by the server.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NODE_CONNECTION_CODES.has(code)) return true;
    // 08xxx connection exceptions; 57P01-03 admin/crash shutdown, cannot connect now; 25P03 idle in
    // transaction too long; 53300 too many connections (the server is full: wait for a free one).
    return code.startsWith("08") || RETRYABLE_SERVER_CODES.has(code);
  }
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}

/**
 * A deadlock, a serialization failure, or two starts of one run id at the same moment: the server rolled
 * the transaction back, and running it again is safe (the second start then finds the run and returns it).
 */
export function isTransientConflict(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === "40P01" || code === "40001" || (code === "23505" && constraint === "runs_pkey");
}

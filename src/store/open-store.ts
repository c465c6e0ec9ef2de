import path from "node:path";
import { CairnError } from "../core/errors.js";
import type { CairnLogger } from "../core/logger.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export const DEFAULT_DB = ".cairn/cairn.db";

export interface OpenStoreOptions {
  durability?: "full" | "normal";
  /** PostgreSQL: where lost and regained database connections are logged. */
  logger?: CairnLogger;
}

/**
 * Open the store a location names: a PostgreSQL URL (`postgres://…`, optionally with
 * `?schema=name&pool_size=n`; the schema defaults to `cairn`) or a SQLite file path. Without one, `CAIRN_DB` or `.cairn/cairn.db`
 * under the current directory.
 */
export async function openStore(location?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const target = storeLocation(location);
  if (isPostgresLocation(target)) return openPostgres(target, options.logger);
  return SqliteStore.open(path.resolve(target), options);
}

/** The location a store is opened from: the one given, else `CAIRN_DB`, else `.cairn/cairn.db`. */
export function storeLocation(location?: string): string {
  return location ?? process.env.CAIRN_DB ?? DEFAULT_DB;
}

export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//.test(location);
}

/**
 * Cairn's own URL parameters are taken out before the URL goes to the driver: `schema` (the schema
 * holding Cairn's tables; default `cairn`) and `pool_size` (connections this process may open; default 10).
 */
async function openPostgres(location: string, logger: CairnLogger | undefined): Promise<Store> {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new CairnError(
      "USAGE",
      "The PostgreSQL location is not a valid URL (postgres://user@host:5432/database).",
    );
  }
  const schema = url.searchParams.get("schema");
  const poolSize = url.searchParams.get("pool_size");
  url.searchParams.delete("schema");
  url.searchParams.delete("pool_size");
  if (poolSize !== null && !/^[1-9][0-9]*$/.test(poolSize))
    throw new CairnError(
      "USAGE",
      `pool_size in the PostgreSQL URL must be a positive whole number, got "${poolSize}".`,
    );
  // Loaded on demand: the pg driver costs ~30 ms of start-up that a SQLite process does not need.
  const { PostgresStore } = await import("./postgres/postgres-store.js");
  return PostgresStore.open(url.toString(), {
    ...(schema ? { schema } : {}),
    ...(poolSize !== null ? { poolSize: Number(poolSize) } : {}),
    ...(logger ? { logger } : {}),
  });
}

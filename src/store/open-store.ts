import path from "node:path";
import { CairnError } from "../core/errors.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export const DEFAULT_DB = ".cairn/cairn.db";

export interface OpenStoreOptions {
  durability?: "full" | "normal";
}

/**
 * Open the store a location names: a PostgreSQL URL (`postgres://…`, optionally `?schema=name`) or a
 * SQLite file path. Without one, `CAIRN_DB` or `.cairn/cairn.db` under the current directory.
 */
export async function openStore(location?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const target = location ?? process.env.CAIRN_DB ?? DEFAULT_DB;
  if (/^postgres(ql)?:\/\//.test(target)) return openPostgres(target);
  return SqliteStore.open(path.resolve(target), options);
}

/** `?schema=name` selects the schema holding Cairn's tables; the rest of the URL goes to the driver. */
function openPostgres(location: string): Promise<Store> {
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
  url.searchParams.delete("schema");
  return PostgresStore.open(url.toString(), schema ? { schema } : {});
}

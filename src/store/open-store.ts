import path from "node:path";
import { CairnError } from "../core/errors.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export const DEFAULT_DB = ".cairn/cairn.db";

export interface OpenStoreOptions {
  durability?: "full" | "normal";
}

/**
 * Open the store a location names: a PostgreSQL URL or a SQLite file path. Without one, `CAIRN_DB`
 * or `.cairn/cairn.db` under the current directory.
 */
export async function openStore(location?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const target = location ?? process.env.CAIRN_DB ?? DEFAULT_DB;
  if (/^postgres(ql)?:\/\//.test(target)) {
    throw new CairnError("STORE", "This build of Cairn has no PostgreSQL store yet; use a SQLite file path.");
  }
  return SqliteStore.open(path.resolve(target), options);
}

import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { type ClientOptions, resolveOptions } from "./cairn-options.js";

/** The store a client works on: opened from the location given (and then owned), or the one passed in. */
export async function openClientStore(options: ClientOptions): Promise<{ store: Store; owns: boolean }> {
  if (typeof options.db === "object") return { store: options.db, owns: false };
  const store = await openStore(options.db, {
    ...(options.durability ? { durability: options.durability } : {}),
    logger: resolveOptions(options).logger,
  });
  return { store, owns: true };
}

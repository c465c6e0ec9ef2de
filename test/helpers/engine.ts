import path from "node:path";
import { after } from "node:test";
import { Cairn, type CairnOptions } from "../../src/index.js";
import { tempDir } from "./temp.js";

/** A Cairn on a fresh SQLite file in a temp dir, closed when the test file ends. */
export async function openTemp(
  options: CairnOptions = {},
): Promise<{ cairn: Cairn; dir: string; db: string }> {
  const dir = tempDir();
  const db = path.join(dir, "cairn.db");
  const cairn = await Cairn.open({ db, pollIntervalMs: 50, ...options });
  after(() => cairn.close({ abort: true }));
  return { cairn, dir, db };
}

/** A promise with its resolve function, for steps that wait on the test. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

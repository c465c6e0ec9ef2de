import type { ItemRecord, LogLine } from "../core/types.js";
import type { ItemFilter } from "../store/store.js";

type ReadItems = (filter: ItemFilter) => Promise<ItemRecord[]>;

const PAGE = 1000;

/**
 * The recorded item with this key, or undefined. A key that is a number is tried as the item's index
 * first (one index lookup: that is every key of a map without a `key`); otherwise the items are read
 * page by page in item order.
 */
export async function findItem(read: ReadItems, key: string): Promise<ItemRecord | undefined> {
  if (/^\d+$/.test(key)) {
    const [item] = await read({ afterIndex: Number(key) - 1, limit: 1 });
    if (item?.key === key) return item;
  }
  for (let after = -1; ; ) {
    const page = await read({ afterIndex: after, limit: PAGE });
    const found = page.find((i) => i.key === key);
    if (found) return found;
    if (page.length < PAGE) return undefined;
    after = page.at(-1)!.index;
  }
}

/** A map step's log lines about one item (each was written prefixed `[item <key>] `), prefix removed. */
export function itemLogLines(lines: readonly LogLine[], key: string): LogLine[] {
  const prefix = `[item ${key}] `;
  return lines
    .filter((l) => l.line.startsWith(prefix))
    .map((l) => ({ ...l, line: l.line.slice(prefix.length) }));
}

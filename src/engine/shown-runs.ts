import type { RunRecord } from "../core/types.js";
import type { RunFilter, Store } from "../store/store.js";

/** A page of runs as readers show them, and where the next page starts (null after the last). */
export interface ShownRunPage {
  readonly runs: RunRecord[];
  readonly next: { createdAt: number; id: string } | null;
}

/**
 * Up to `limit` runs, newest first, as readers show them: `shown` turns a running run whose owner
 * died into an interrupted one, and `statuses` match the status shown, so `interrupted` also finds
 * runs stored as running. Store pages are read until the page is full or the store has no more
 * (runs read as running but shown otherwise are the only ones skipped, and they are few: runs in
 * flight).
 */
export async function listShownRuns(
  store: Store,
  shown: (run: RunRecord) => Promise<RunRecord>,
  filter: RunFilter,
): Promise<ShownRunPage> {
  const limit = filter.limit ?? 100;
  const wanted = filter.statuses?.length ? new Set(filter.statuses) : null;
  const statuses =
    wanted?.has("interrupted") && !wanted.has("running") ? [...wanted, "running" as const] : filter.statuses;
  const runs: RunRecord[] = [];
  let before = filter.before;
  for (;;) {
    const page = await store.listRuns({ ...filter, statuses, before, limit });
    for (const row of page) {
      const run = row.status === "running" ? await shown(row) : row;
      before = { createdAt: row.createdAt, id: row.id };
      if (!wanted || wanted.has(run.status)) runs.push(run);
      if (runs.length === limit) return { runs, next: before };
    }
    if (page.length < limit) return { runs, next: null };
  }
}

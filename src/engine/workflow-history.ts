import { CairnError } from "../core/errors.js";
import type { RunAttemptRecord } from "../core/types.js";
import type { Store } from "../store/store.js";

/** One page of a workflow's history: every start and resume of its runs, newest first. */
export interface WorkflowHistoryPage {
  readonly attempts: RunAttemptRecord[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

export async function workflowHistory(
  store: Store,
  query: { workflowId: string; tenant?: string; limit: number; cursor?: string },
): Promise<WorkflowHistoryPage> {
  const before = query.cursor === undefined ? undefined : decode(query.cursor);
  const attempts = await store.read((tx) =>
    tx.listWorkflowAttempts({
      workflowId: query.workflowId,
      limit: query.limit,
      ...(query.tenant !== undefined ? { tenant: query.tenant } : {}),
      ...(before ? { before } : {}),
    }),
  );
  const last = attempts.at(-1);
  const nextCursor =
    attempts.length === query.limit && last
      ? Buffer.from(JSON.stringify([last.at, last.runId, last.number])).toString("base64url")
      : null;
  return { attempts, nextCursor };
}

function decode(cursor: string): { at: number; runId: string; number: number } {
  try {
    const [at, runId, number] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (Number.isInteger(at) && typeof runId === "string" && Number.isInteger(number))
      return { at: at as number, runId, number: number as number };
  } catch {
    // fall through: one sentence below
  }
  throw new CairnError("INVALID_INPUT", `"${cursor}" is not a cursor from a previous page of this history.`);
}

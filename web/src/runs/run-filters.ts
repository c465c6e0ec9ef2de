import type { ListRunsQuery } from "../api/client";
import { RUN_STATUSES, type Run, type RunStatus } from "../api/types";

/**
 * The runs list's filters, as the URL keeps them (`#/runs?status=failed,interrupted&id=run_0m&from=
 * 2026-05-01&to=2026-05-03`), so a reload or a shared link shows the same list. `from` and `to` are
 * days in the browser's time zone, both included.
 */
export interface RunFilters {
  /** Empty: every status. */
  readonly statuses: readonly RunStatus[];
  readonly workflow: string | null;
  /** The start of a run id. */
  readonly idPrefix: string | null;
  readonly from: string | null;
  readonly to: string | null;
}

export const NO_FILTERS: RunFilters = { statuses: [], workflow: null, idPrefix: null, from: null, to: null };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function filtersFromParams(params: URLSearchParams): RunFilters {
  const statuses = (params.get("status") ?? "")
    .split(",")
    .filter((s): s is RunStatus => RUN_STATUSES.includes(s as RunStatus));
  const day = (name: string) => {
    const value = params.get(name);
    return value && DAY.test(value) ? value : null;
  };
  return {
    statuses: RUN_STATUSES.filter((s) => statuses.includes(s)),
    workflow: params.get("workflow") || null,
    idPrefix: params.get("id") || null,
    from: day("from"),
    to: day("to"),
  };
}

export function filtersToParams(filters: Partial<RunFilters>): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.statuses?.length) params.set("status", filters.statuses.join(","));
  if (filters.workflow) params.set("workflow", filters.workflow);
  if (filters.idPrefix) params.set("id", filters.idPrefix);
  if (filters.from) params.set("from", filters.from);
  if (filters.to) params.set("to", filters.to);
  return params;
}

export function hasFilters(filters: RunFilters): boolean {
  return filtersToParams(filters).toString() !== "";
}

/** Local midnight of a `YYYY-MM-DD` day, `plusDays` later, in ms. */
function localMidnight(day: string, plusDays = 0): number {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + plusDays).getTime();
}

/** The time range in ms: from the start of `from` to the end of `to` (the next day's midnight). */
export function timeRange(filters: RunFilters): { after: number | null; before: number | null } {
  return {
    after: filters.from ? localMidnight(filters.from) : null,
    before: filters.to ? localMidnight(filters.to, 1) : null,
  };
}

/** Why these filters cannot list anything, or null. */
export function filtersProblem(filters: RunFilters): string | null {
  const { after, before } = timeRange(filters);
  if (after !== null && before !== null && after >= before) return "The start date is after the end date.";
  return null;
}

/** The API's query for these filters: the server filters and pages, never the browser. */
export function apiQuery(filters: RunFilters): ListRunsQuery {
  const { after, before } = timeRange(filters);
  return {
    status: filters.statuses.length ? filters.statuses.join(",") : undefined,
    workflow: filters.workflow ?? undefined,
    idPrefix: filters.idPrefix ?? undefined,
    createdAfter: after === null ? undefined : new Date(after).toISOString(),
    createdBefore: before === null ? undefined : new Date(before).toISOString(),
  };
}

/** Whether a run that appears live (a new run, from the event stream) belongs in the filtered list. */
export function runMatches(run: Run, filters: RunFilters): boolean {
  const { after, before } = timeRange(filters);
  return (
    (filters.statuses.length === 0 || filters.statuses.includes(run.status)) &&
    (!filters.workflow || run.workflowId === filters.workflow) &&
    (!filters.idPrefix || run.id.startsWith(filters.idPrefix)) &&
    (after === null || run.createdAt >= after) &&
    (before === null || run.createdAt < before)
  );
}

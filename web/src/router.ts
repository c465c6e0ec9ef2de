import { useSyncExternalStore } from "react";
import { filtersFromParams, filtersToParams, type RunFilters } from "./runs/run-filters";

/**
 * Hash routes (`#/runs/<id>`): they work behind any static file server, and run ids may contain
 * dots, which a path-based fallback would mistake for file names.
 */
export type Route =
  | { page: "runs"; filters: RunFilters }
  | { page: "run"; runId: string; stepId: string | null }
  | { page: "workflows"; workflowId: string | null }
  | { page: "not-found"; path: string };

export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || (parts[0] === "runs" && parts.length === 1))
    return { page: "runs", filters: filtersFromParams(params) };
  if (parts[0] === "runs" && parts.length === 2)
    return { page: "run", runId: parts[1]!, stepId: params.get("step") };
  if (parts[0] === "workflows" && parts.length <= 2)
    return { page: "workflows", workflowId: parts[1] ?? null };
  return { page: "not-found", path };
}

export function runsHref(filters: Partial<RunFilters> = {}): string {
  const qs = filtersToParams(filters).toString();
  return `#/runs${qs ? `?${qs}` : ""}`;
}

export function runHref(runId: string, stepId?: string | null): string {
  return `#/runs/${encodeURIComponent(runId)}${stepId ? `?step=${encodeURIComponent(stepId)}` : ""}`;
}

export function workflowHref(workflowId?: string): string {
  return workflowId ? `#/workflows/${encodeURIComponent(workflowId)}` : "#/workflows";
}

export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", href);
  else window.history.pushState(null, "", href);
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  window.addEventListener("popstate", onChange);
  return () => {
    window.removeEventListener("hashchange", onChange);
    window.removeEventListener("popstate", onChange);
  };
}

export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash);
}

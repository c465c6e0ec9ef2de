import { ApiError, apiErrorOf } from "./errors";
import type {
  BulkAction,
  BulkReport,
  DeletedRun,
  ItemDetail,
  ItemPage,
  ItemStatus,
  LatestFailed,
  Me,
  OnChange,
  Plan,
  ResumePlan,
  ResumeResult,
  Run,
  RunAttempt,
  RunDetail,
  RunFileList,
  RunPage,
  Schedule,
  SignalResult,
  StepDetail,
  Workflow,
  WorkflowSummary,
} from "./types";

type HttpMethod = "GET" | "POST" | "DELETE";

export interface ListRunsQuery {
  /** One status, or several comma-separated. */
  status?: string | undefined;
  workflow?: string | undefined;
  idPrefix?: string | undefined;
  /** ISO 8601 times. */
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

export interface ItemsQuery {
  status?: ItemStatus | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** Resume's strategy options; an omitted one keeps the workflow's default. */
export interface ResumeStrategy {
  onChange?: OnChange;
  retryFailed?: boolean;
  maxAttempts?: number;
  resetAttempts?: boolean;
}

export interface ResumeRequest extends ResumeStrategy {
  /** Record this step as succeeded with this output, then continue. */
  markDone?: { stepId: string; output: unknown };
  secrets?: Record<string, string>;
}

/** Which steps a rerun executes again: the chosen ones, or every failed one. */
export type RerunSelection = { from: string[] } | { failed: true };

export type RerunRequest = RerunSelection & { onChange?: OnChange; secrets?: Record<string, string> };

/**
 * The typed client of Cairn's HTTP API. Every request carries `Authorization: Bearer <token>`; a 401
 * calls `onUnauthorized` (the app forgets the token and shows the token screen) before it throws.
 */
export class ApiClient {
  readonly #token: string;
  readonly #onUnauthorized: () => void;
  readonly #base: string;
  #me: Promise<Me> | undefined;

  constructor(options: { token: string; onUnauthorized: () => void; baseUrl?: string }) {
    this.#token = options.token;
    this.#onUnauthorized = options.onUnauthorized;
    this.#base = options.baseUrl ?? documentBase();
  }

  get token(): string {
    return this.#token;
  }

  /** The headers of an authenticated request (the SSE client uses them too). */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { Authorization: `Bearer ${this.#token}`, Accept: "application/json", ...extra };
  }

  url(path: string): string {
    return `${this.#base}${path}`;
  }

  unauthorized(): void {
    this.#onUnauthorized();
  }

  async request<T>(method: HttpMethod, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return (await this.exchange<T>(method, path, body, signal)).body;
  }

  /** A request whose success status matters too (200 and 201 say different things). */
  async exchange<T>(
    method: HttpMethod,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: T }> {
    const init: RequestInit = {
      method,
      headers: this.headers(body === undefined ? {} : { "Content-Type": "application/json" }),
    };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    const response = await this.#send(path, init);
    return { status: response.status, body: (await response.json()) as T };
  }

  /** A successful response, or the API's error thrown (after `onUnauthorized` for a 401). */
  async #send(path: string, init: RequestInit): Promise<Response> {
    const response = await fetch(this.url(path), init);
    if (response.status === 401) {
      const error = await apiErrorOf(response);
      this.#onUnauthorized();
      throw error;
    }
    if (!response.ok) throw await apiErrorOf(response);
    return response;
  }

  /** The token's tenant and whether it is read-only; asked once per client (a token's scope never changes). */
  me(): Promise<Me> {
    this.#me ??= this.request<Me>("GET", "/api/me").catch((error: unknown) => {
      this.#me = undefined;
      throw error;
    });
    return this.#me;
  }

  listWorkflows(signal?: AbortSignal): Promise<{ workflows: WorkflowSummary[] }> {
    return this.request("GET", "/api/workflows", undefined, signal);
  }

  getWorkflow(id: string, signal?: AbortSignal): Promise<Workflow> {
    return this.request("GET", `/api/workflows/${enc(id)}`, undefined, signal);
  }

  /** The latest failed run of a workflow, or null when it has none (the API answers 404). */
  async latestFailed(workflowId: string, signal?: AbortSignal): Promise<LatestFailed | null> {
    try {
      return await this.request<LatestFailed>(
        "GET",
        `/api/workflows/${enc(workflowId)}/latest-failed`,
        undefined,
        signal,
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** Start a run; `created` is false when a run with this `runId` existed (it is returned, nothing starts). */
  async startRun(
    workflowId: string,
    body: { input: unknown; secrets?: Record<string, string>; runId?: string; version?: string },
  ): Promise<{ run: RunDetail; created: boolean }> {
    const { status, body: run } = await this.exchange<RunDetail>(
      "POST",
      `/api/workflows/${enc(workflowId)}/runs`,
      body,
    );
    return { run, created: status === 201 };
  }

  listRuns(query: ListRunsQuery, signal?: AbortSignal): Promise<RunPage> {
    const params = new URLSearchParams();
    if (query.status) params.set("status", query.status);
    if (query.workflow) params.set("workflow", query.workflow);
    if (query.idPrefix) params.set("idPrefix", query.idPrefix);
    if (query.createdAfter) params.set("createdAfter", query.createdAfter);
    if (query.createdBefore) params.set("createdBefore", query.createdBefore);
    if (query.cursor) params.set("cursor", query.cursor);
    if (query.limit) params.set("limit", String(query.limit));
    const qs = params.toString();
    return this.request("GET", `/api/runs${qs ? `?${qs}` : ""}`, undefined, signal);
  }

  getRun(id: string, signal?: AbortSignal): Promise<RunDetail> {
    return this.request("GET", `/api/runs/${enc(id)}`, undefined, signal);
  }

  getStep(runId: string, stepId: string, signal?: AbortSignal): Promise<StepDetail> {
    return this.request("GET", `/api/runs/${enc(runId)}/steps/${enc(stepId)}`, undefined, signal);
  }

  /** A page of a map step's recorded items, in item order, with the step's counts by status. */
  items(runId: string, stepId: string, query: ItemsQuery = {}, signal?: AbortSignal): Promise<ItemPage> {
    const params = new URLSearchParams();
    if (query.status) params.set("status", query.status);
    if (query.cursor) params.set("cursor", query.cursor);
    if (query.limit) params.set("limit", String(query.limit));
    const qs = params.toString();
    const path = `/api/runs/${enc(runId)}/steps/${enc(stepId)}/items${qs ? `?${qs}` : ""}`;
    return this.request("GET", path, undefined, signal);
  }

  /** One item of a map step with its log lines. */
  item(runId: string, stepId: string, key: string, signal?: AbortSignal): Promise<ItemDetail> {
    const path = `/api/runs/${enc(runId)}/steps/${enc(stepId)}/items/${enc(key)}`;
    return this.request("GET", path, undefined, signal);
  }

  /** The files in a run's working directory (the server's file system) and its declared outputs. */
  listFiles(runId: string, signal?: AbortSignal): Promise<RunFileList> {
    return this.request("GET", `/api/runs/${enc(runId)}/files`, undefined, signal);
  }

  /** One file of a run's directory; the blob's `type` is the content type the server sent. */
  async file(runId: string, relPath: string, signal?: AbortSignal): Promise<Blob> {
    const path = `/api/runs/${enc(runId)}/files/${relPath.split("/").map(enc).join("/")}`;
    const init: RequestInit = { headers: this.headers({ Accept: "*/*" }) };
    if (signal) init.signal = signal;
    return (await this.#send(path, init)).blob();
  }

  history(runId: string, signal?: AbortSignal): Promise<{ attempts: RunAttempt[] }> {
    return this.request("GET", `/api/runs/${enc(runId)}/history`, undefined, signal);
  }

  /** What a resume with these options would do; `markDone` names the step it would mark done. */
  resumePlan(
    runId: string,
    options: ResumeStrategy & { markDone?: string } = {},
    signal?: AbortSignal,
  ): Promise<ResumePlan> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options))
      if (value !== undefined) query.set(key, String(value));
    const qs = query.size > 0 ? `?${query}` : "";
    return this.request("GET", `/api/runs/${enc(runId)}/resume-plan${qs}`, undefined, signal);
  }

  resume(runId: string, body: ResumeRequest = {}): Promise<ResumeResult> {
    return this.request("POST", `/api/runs/${enc(runId)}/resume`, body);
  }

  restart(runId: string, body: { secrets?: Record<string, string> } = {}): Promise<RunDetail> {
    return this.request("POST", `/api/runs/${enc(runId)}/restart`, body);
  }

  /** What a rerun would execute and reuse (from which run), and why; starts nothing. */
  rerunPlan(
    runId: string,
    selection: RerunSelection,
    options: { onChange?: OnChange } = {},
    signal?: AbortSignal,
  ): Promise<Plan> {
    const query = new URLSearchParams(
      "failed" in selection ? { failed: "true" } : { from: selection.from.join(",") },
    );
    if (options.onChange) query.set("onChange", options.onChange);
    return this.request("GET", `/api/runs/${enc(runId)}/rerun-plan?${query}`, undefined, signal);
  }

  rerun(runId: string, body: RerunRequest): Promise<RunDetail> {
    return this.request("POST", `/api/runs/${enc(runId)}/rerun`, body);
  }

  /** Resume, restart, rerun (failed steps) or cancel the runs with these ids; `dryRun` changes nothing. */
  bulk(action: BulkAction, ids: readonly string[], dryRun: boolean): Promise<BulkReport> {
    return this.request("POST", `/api/runs/bulk/${enc(action)}`, { ids, dryRun, limit: ids.length });
  }

  cancel(runId: string): Promise<Run> {
    return this.request("POST", `/api/runs/${enc(runId)}/cancel`, {});
  }

  /** Send a signal (an approval, an answer) to a run; the server checks `data` against the wait's schema. */
  signal(runId: string, name: string, data: unknown): Promise<SignalResult> {
    return this.request("POST", `/api/runs/${enc(runId)}/signals/${enc(name)}`, { data });
  }

  /** The tenant's schedules (every workflow's), with their next tick. */
  listSchedules(signal?: AbortSignal): Promise<{ schedules: Schedule[] }> {
    return this.request("GET", "/api/schedules", undefined, signal);
  }

  /** Pause or resume one schedule of a workflow; the schedule as it is now. */
  setSchedule(workflowId: string, name: string, verb: "pause" | "resume"): Promise<Schedule> {
    return this.request("POST", `/api/schedules/${enc(workflowId)}/${enc(name)}/${verb}`, {});
  }

  /** Delete a finished run: its rows and its working directory (the API answers 409 for an unfinished one). */
  deleteRun(runId: string): Promise<DeletedRun> {
    return this.request("DELETE", `/api/runs/${enc(runId)}`);
  }

  pause(runId: string): Promise<Run> {
    return this.request("POST", `/api/runs/${enc(runId)}/pause`, {});
  }
}

function enc(part: string): string {
  return encodeURIComponent(part);
}

/**
 * Where the page was served from, without the trailing slash: "" at the server's root, "/cairn" behind
 * a proxy that mounts the UI at /cairn/. API paths are resolved against it, like the page's assets.
 */
export function documentBase(): string {
  if (typeof window === "undefined") return "";
  return window.location.pathname.replace(/\/[^/]*$/, "");
}

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { RUN_STATUSES } from "../../core/types.js";
import type { Activity, ActivityFeed } from "../../engine/activity.js";
import type { CairnClient } from "../../engine/client.js";
import { StoreCounts } from "./store-counts.js";

/** Upper bounds (seconds) of the step duration histogram: sub-second handlers up to hour-long jobs. */
export const DURATION_BUCKETS_S = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Prometheus metrics of one Cairn instance, in a registry of its own (two in one process do not mix).
 * Counters and the step duration histogram count what this process did, as it happened (in memory:
 * a scrape reads no history). Two gauges are read from the store at scrape time with two indexed
 * queries and no cap: runs per workflow and status, and the queue depth. They describe the whole
 * store, so every process reports the same values: aggregate them with max, not sum. When counting
 * gets slow (a very deep queue), scrapes answer with the last counts while the store counts again in
 * the background (StoreCounts).
 *
 * @example
 * const metrics = new CairnMetrics(cairn);
 * const text = await metrics.render();
 */
export class CairnMetrics {
  readonly registry = new Registry();
  readonly #counts: StoreCounts;
  readonly #unsubscribe: () => void;
  readonly #runs: Gauge<"workflow" | "status">;
  readonly #ready: Gauge<"workflow">;
  readonly #countSeconds: Gauge;
  readonly #countAge: Gauge;
  readonly #claims: Counter<"workflow">;
  readonly #completions: Counter<"workflow" | "outcome">;
  readonly #fenced: Counter<"write">;
  readonly #recoveries: Counter<"result">;
  readonly #durations: Histogram<"workflow" | "step">;

  /**
   * The counters follow `cairn.activity` (what this process's worker did); a client without one
   * executes nothing and they stay 0. `syncCountBelowMs`: see StoreCounts (default 250 ms).
   */
  constructor(
    cairn: CairnClient & { readonly activity?: ActivityFeed },
    options: { syncCountBelowMs?: number } = {},
  ) {
    this.#counts = new StoreCounts(cairn, {
      syncBelowMs: options.syncCountBelowMs ?? 250,
      logger: cairn.logger,
    });
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#runs = new Gauge({
      name: "cairn_runs",
      help: "Runs in the store by workflow and recorded status.",
      labelNames: ["workflow", "status"],
      registers,
    });
    this.#ready = new Gauge({
      name: "cairn_ready_steps",
      help: "Queue depth: ready steps of running runs (due now or waiting for a retry), by workflow.",
      labelNames: ["workflow"],
      registers,
    });
    this.#countSeconds = new Gauge({
      name: "cairn_store_count_seconds",
      help: "How long the store took to count the runs and the queue, the last time it did.",
      registers,
    });
    this.#countAge = new Gauge({
      name: "cairn_store_counts_age_seconds",
      help: "How old cairn_runs and cairn_ready_steps are: 0 while counting is fast; when it is slow, a scrape answers with the last counts and counts again in the background.",
      registers,
    });
    this.#claims = new Counter({
      name: "cairn_step_claims_total",
      help: "Steps claimed by this process for execution.",
      labelNames: ["workflow"],
      registers,
    });
    this.#completions = new Counter({
      name: "cairn_step_completions_total",
      help: "Step executions whose outcome this process recorded, by outcome (retrying: failed, tried again later).",
      labelNames: ["workflow", "outcome"],
      registers,
    });
    this.#fenced = new Counter({
      name: "cairn_fenced_writes_total",
      help: "Writes refused because the step's lease had moved to another worker (outcome: a result dropped; heartbeat: a lease found lost).",
      labelNames: ["write"],
      registers,
    });
    this.#recoveries = new Counter({
      name: "cairn_recoveries_total",
      help: "Reaper results in this process: steps of dead workers put back to ready, runs interrupted for a person.",
      labelNames: ["result"],
      registers,
    });
    this.#durations = new Histogram({
      name: "cairn_step_duration_seconds",
      help: "Duration of step executions in this process, from claim to the handler's end.",
      labelNames: ["workflow", "step"],
      buckets: DURATION_BUCKETS_S,
      registers,
    });
    // Series that exist from the start read 0 rather than missing (rate() and alerts need them).
    for (const write of ["outcome", "heartbeat"]) this.#fenced.inc({ write }, 0);
    for (const result of ["recovered", "interrupted"]) this.#recoveries.inc({ result }, 0);
    this.#unsubscribe = cairn.activity?.on((activity) => this.#observe(activity)) ?? (() => undefined);
  }

  /** The text exposition format, with the store's counts read now. */
  async render(): Promise<string> {
    const { counts, ageMs, durationMs } = await this.#counts.read();
    this.#countSeconds.set(durationMs / 1000);
    this.#countAge.set(ageMs / 1000);
    this.#runs.reset();
    this.#ready.reset();
    const workflows = new Set(counts.runs.map((r) => r.workflowId));
    for (const workflow of workflows) {
      for (const status of RUN_STATUSES) this.#runs.set({ workflow, status }, 0);
      this.#ready.set({ workflow }, 0);
    }
    for (const r of counts.runs) this.#runs.set({ workflow: r.workflowId, status: r.status }, r.count);
    for (const r of counts.readySteps) this.#ready.set({ workflow: r.workflowId }, r.count);
    return this.registry.metrics();
  }

  /** Resolves once a background count of the store (if any) is done. */
  countsSettled(): Promise<void> {
    return this.#counts.settled();
  }

  /** Stop listening to the Cairn instance. */
  close(): void {
    this.#unsubscribe();
  }

  #observe(activity: Activity): void {
    switch (activity.kind) {
      case "claimed":
        this.#claims.inc({ workflow: activity.workflowId }, activity.count);
        return;
      case "completed": {
        const { workflowId: workflow, stepId: step, outcome, durationMs } = activity;
        this.#completions.inc({ workflow, outcome });
        this.#durations.observe({ workflow, step }, durationMs / 1000);
        return;
      }
      case "fenced":
        this.#fenced.inc({ write: activity.write });
        return;
      case "recovered":
        this.#recoveries.inc({ result: "recovered" }, activity.recovered);
        this.#recoveries.inc({ result: "interrupted" }, activity.interrupted);
        return;
    }
  }
}

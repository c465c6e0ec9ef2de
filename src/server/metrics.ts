import { type CairnEvent, RUN_STATUSES } from "../core/types.js";
import type { Store } from "../store/store.js";

/** Upper bounds (seconds) of the step duration histogram: sub-second handlers up to hour-long jobs. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const BATCH = 5000;
const MAX_OPEN_STEPS = 100_000;
const STEP_ENDS = new Set<CairnEvent["type"]>([
  "step.succeeded",
  "step.failed",
  "step.retrying",
  "step.cancelled",
]);

/**
 * Prometheus metrics counted from the store, not from this process's memory: counters are totals
 * over the event log (read incrementally, so a restart counts the same history again), gauges are
 * queried at scrape time. Covers every tenant.
 */
export class Metrics {
  readonly #store: Store;
  #seq = 0;
  #counts = { started: 0, succeeded: 0, failed: 0, retried: 0, recovered: 0 };
  readonly #startedAt = new Map<string, number>();
  readonly #buckets = DURATION_BUCKETS_S.map(() => 0);
  #durationSum = 0;
  #durationCount = 0;
  #catchingUp: Promise<void> = Promise.resolve();

  constructor(store: Store) {
    this.#store = store;
  }

  async render(): Promise<string> {
    // Concurrent scrapes share one pass over the new events.
    this.#catchingUp = this.#catchingUp.catch(() => undefined).then(() => this.#catchUp());
    await this.#catchingUp;
    const [byStatus, ready] = await Promise.all([this.#store.countRunsByStatus(), this.#readySteps()]);
    const runs = new Map(byStatus.map((r) => [r.status, r.count]));
    const lines = [
      ...family("cairn_runs", "gauge", "Runs by recorded status."),
      ...RUN_STATUSES.map((s) => `cairn_runs{status="${s}"} ${runs.get(s) ?? 0}`),
      ...counter("cairn_steps_started_total", "Step executions started.", this.#counts.started),
      ...counter("cairn_steps_succeeded_total", "Step executions that succeeded.", this.#counts.succeeded),
      ...counter(
        "cairn_steps_failed_total",
        "Steps that failed for good (retries used up).",
        this.#counts.failed,
      ),
      ...counter(
        "cairn_steps_retried_total",
        "Step executions that failed and were scheduled again.",
        this.#counts.retried,
      ),
      ...counter(
        "cairn_recoveries_total",
        "Steps recovered after their worker died.",
        this.#counts.recovered,
      ),
      ...family(
        "cairn_step_duration_seconds",
        "histogram",
        "Duration of step executions, from start to their end.",
      ),
      ...DURATION_BUCKETS_S.map(
        (le, i) => `cairn_step_duration_seconds_bucket{le="${le}"} ${this.#buckets[i]}`,
      ),
      `cairn_step_duration_seconds_bucket{le="+Inf"} ${this.#durationCount}`,
      `cairn_step_duration_seconds_sum ${this.#durationSum}`,
      `cairn_step_duration_seconds_count ${this.#durationCount}`,
      ...family(
        "cairn_ready_steps",
        "gauge",
        "Ready-queue depth: steps of running runs waiting for a worker.",
      ),
      `cairn_ready_steps ${ready}`,
    ];
    return `${lines.join("\n")}\n`;
  }

  async #catchUp(): Promise<void> {
    for (;;) {
      const events = await this.#store.readEvents({ afterSeq: this.#seq, limit: BATCH });
      for (const event of events) this.#count(event);
      if (events.length < BATCH) return;
    }
  }

  #count(event: CairnEvent): void {
    this.#seq = event.seq;
    const key = `${event.runId}\u0000${event.stepId}`;
    if (event.type === "step.started") {
      this.#counts.started++;
      this.#startedAt.set(key, event.at);
      // A step whose worker died never ends; forget the oldest starts rather than grow without bound.
      if (this.#startedAt.size > MAX_OPEN_STEPS) this.#startedAt.delete(this.#startedAt.keys().next().value!);
      return;
    }
    if (event.type === "step.recovered") this.#counts.recovered++;
    if (event.type === "step.succeeded") this.#counts.succeeded++;
    if (event.type === "step.failed") this.#counts.failed++;
    if (event.type === "step.retrying") this.#counts.retried++;
    const startedAt = this.#startedAt.get(key);
    if (!STEP_ENDS.has(event.type) || startedAt === undefined) return;
    this.#startedAt.delete(key);
    const seconds = Math.max(0, event.at - startedAt) / 1000;
    DURATION_BUCKETS_S.forEach((le, i) => {
      if (seconds <= le) this.#buckets[i]!++;
    });
    this.#durationSum += seconds;
    this.#durationCount++;
  }

  async #readySteps(): Promise<number> {
    const running = await this.#store.read((tx) => tx.listRunsByStatus(["running"], 100_000));
    let ready = 0;
    for (const run of running)
      ready += (await this.#store.getSteps(run.id)).filter((s) => s.status === "ready").length;
    return ready;
  }
}

function family(name: string, type: string, help: string): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
}

function counter(name: string, help: string, value: number): string[] {
  return [...family(name, "counter", help), `${name} ${value}`];
}

import { ActivityFeed } from "./engine/activity.js";
import type { CairnOptions } from "./engine/cairn-options.js";
import { CairnClient } from "./engine/client.js";
import { stateOf } from "./engine/client-state.js";
import { newId } from "./engine/ids.js";
import { openClientStore } from "./engine/open-client-store.js";
import { openTracing } from "./engine/open-tracing.js";
import type { RecoveryReport } from "./engine/recovery.js";
import { CairnWorker, recoverRuns } from "./engine/worker.js";
import { loadOneWorkflow } from "./loader/load-workflow-file.js";

export type { CairnOptions };

/**
 * Durable workflow runs in one process: a `CairnClient` with a `CairnWorker` attached (unless
 * `execute: false`). Open one per store; register workflows; start, inspect, resume, restart, rerun,
 * cancel and pause runs. A workflow not registered here is loaded from the file it was last loaded
 * from (override with `loadWorkflow`).
 *
 * @example
 * const cairn = await Cairn.open({ db: ".cairn/cairn.db" });
 * const handle = await cairn.start(report, { topic: "tides" });
 * const run = await handle.result();   // run.status === "succeeded", run.output
 * await cairn.close();
 */
export class Cairn extends CairnClient {
  /** This process's claims, completions, fenced writes and recoveries, as they happen (for metrics). */
  readonly activity = new ActivityFeed();
  #worker: CairnWorker | null = null;
  readonly #idleWorkerId = newId("w");

  static override async open(options: CairnOptions = {}): Promise<Cairn> {
    const tracing = await openTracing(options);
    const { store, owns } = await openClientStore(options);
    const cairn = new Cairn(store, owns, { loadWorkflow: loadOneWorkflow, ...options }, tracing);
    if (options.execute ?? true) cairn.#worker = await CairnWorker.start(cairn, options, cairn.activity);
    return cairn;
  }

  /** The id this process's worker claims steps under. */
  get workerId(): string {
    return this.#worker?.workerId ?? this.#idleWorkerId;
  }

  /** Apply recovery policies to runs of registered workflows whose owner died. */
  recover(): Promise<RecoveryReport> {
    return this.#worker ? this.#worker.recover() : recoverRuns(stateOf(this), this.activity);
  }
}

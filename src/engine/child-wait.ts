import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { validateInput } from "../core/definition.js";
import { CairnError } from "../core/errors.js";
import { toJsonValue } from "../core/json-value.js";
import { RESERVED_MEMO_PREFIX } from "../core/step-wait.js";
import type { Json, RunRecord, StepWait } from "../core/types.js";
import type { FencedStepRef, Store, StoreTx } from "../store/store.js";
import { insertRun } from "./create-run.js";
import type { LoadedWorkflow } from "./registry.js";
import { checkSecrets } from "./run-checks.js";
import { StepParked } from "./sleep.js";

/** What starting a child run needs of the process executing its caller (the worker gives it). */
export interface ChildStarter {
  /**
   * The child's workflow: registered in this process, loaded from the file it was loaded from, or
   * the caller's tenant's newest stored version.
   */
  workflow(workflowId: string, tenant: string): Promise<LoadedWorkflow>;
  /** Before the child's insert commits: this process may execute it, with these secrets in memory. */
  adopt(caller: string, childRunId: string, secrets: Readonly<Record<string, string>>): void;
  /** The child is recorded: look for its ready steps now. */
  started(): void;
}

export interface ChildWaitDeps {
  readonly store: Store;
  readonly ref: FencedStepRef;
  /** The calling run as claimed: its tenant and driver go to the child. */
  readonly run: RunRecord;
  readonly secrets: Readonly<Record<string, string>>;
  readonly starter: ChildStarter | null;
  /** The step's recorded memos (the child's id, once started; its output, once taken). */
  recorded(): Promise<ReadonlyMap<string, Json>>;
  park(wait: StepWait): void;
  /** A child found failed: the memo that retires it, written if this attempt fails and is retried. */
  retireOnRetry(memo: { key: string; value: Json }): void;
  onLeaseLost(): never;
}

/** A child run that ended this way fails its calling step (resume either run to continue). */
const FAILED_CHILD: readonly string[] = ["failed", "cancelled"];

/**
 * `ctx.runWorkflow(id, input)`, replay-safe like a signal wait (engine/signal-wait.ts). The n-th call
 * of an execution records the child's id (memo `cairn:child:<n>`) in the same fenced transaction
 * that inserts the child run (id `<run>.<step>.<n>`), so a re-execution, a crash recovery or a resume
 * of the step finds that child instead of starting another. While the child runs the step is parked
 * (no executor slot); the child's end wakes it (engine/child-runs.ts). Its output is recorded (memo
 * `cairn:child:<n>:output`) when first taken, and returned by every later execution.
 *
 * A child that failed or was cancelled fails the attempt. When that attempt is retried, the child is
 * retired in the transaction that records the failure (memo `cairn:child:<n>:retired`, the ids
 * retired so far), and the retry starts the call's next child (`<run>.<step>.<n>.a2`, `.a3`…). Only a
 * recorded, retried failure retires: a crash, a wake-up or a resume finds the same child.
 */
export class ChildWaits {
  #count = 0;
  constructor(private readonly deps: ChildWaitDeps) {}

  async run(workflowId: string, input: unknown): Promise<Json> {
    if (typeof workflowId !== "string" || workflowId.length === 0)
      throw new CairnError("INVALID_INPUT", "runWorkflow needs a workflow id.");
    const key = `${RESERVED_MEMO_PREFIX}child:${++this.#count}`;
    const recorded = await this.deps.recorded();
    if (recorded.has(`${key}:output`)) return recorded.get(`${key}:output`)!;
    const retired = retiredIds(recorded.get(`${key}:retired`));
    const known = recorded.get(key);
    const childId =
      typeof known === "string" && !retired.includes(known)
        ? known
        : await this.#start(key, await this.#freeId(this.#count), workflowId, input);
    const child = await this.deps.store.getRun(childId);
    if (!child)
      throw new CairnError(
        "NOT_FOUND",
        `Child run "${childId}" no longer exists (deleted); rerun this step to start a new one.`,
      );
    if (child.workflowId !== workflowId)
      throw new CairnError(
        "CONFLICT",
        `Call ${this.#count} of runWorkflow in step "${this.deps.ref.stepId}" started child run "${childId}" of workflow "${child.workflowId}", but now asks for "${workflowId}".`,
      );
    if (child.status === "succeeded") {
      const output = child.output ?? null;
      await this.#fenced((tx) => tx.putMemo(this.deps.ref, `${key}:output`, output));
      return output;
    }
    if (FAILED_CHILD.includes(child.status)) {
      this.deps.retireOnRetry({ key: `${key}:retired`, value: [...retired, child.id] });
      throw new CairnError(
        "UNPROCESSABLE",
        `Child run "${child.id}" (workflow "${child.workflowId}") ${child.status}: ${child.error?.message ?? child.reason ?? "no reason recorded"}. Resume it, or this run, to continue.`,
      );
    }
    const wait: StepWait = { kind: "child", runId: child.id, workflowId: child.workflowId, until: null };
    this.deps.park(wait);
    throw new StepParked(wait);
  }

  /**
   * The n-th call's first child run id that no child of this step holds: `<run>.<step>.<n>`, then
   * `.a2`, `.a3`… after retries, or after a resume forgot the step's memos (its definition changed).
   */
  async #freeId(n: number): Promise<string> {
    const { store, ref } = this.deps;
    for (let child = 1; ; child++) {
      const id = childRunId(ref.runId, ref.stepId, n, child);
      const taken = await store.getRun(id);
      // Free, or taken by a run this step did not start (the insert then refuses it).
      if (taken?.callerRunId !== ref.runId || taken.callerStepId !== ref.stepId) return id;
    }
  }

  /** Insert the child run and record its id, in one transaction fenced on the step's lease. */
  async #start(key: string, runId: string, workflowId: string, input: unknown): Promise<string> {
    const { store, ref, run, starter } = this.deps;
    if (!starter)
      throw new CairnError("USAGE", "runWorkflow needs a worker that can start runs (a CairnWorker).");
    const workflow = await starter.workflow(workflowId, run.tenant);
    const { definition } = workflow;
    const value = await validateInput(definition, toJsonValue(input ?? {}, "runWorkflow input"));
    checkSecrets(definition.secrets, this.deps.secrets, `Child workflow "${workflowId}"`);
    const secrets = Object.fromEntries(definition.secrets.map((name) => [name, this.deps.secrets[name]!]));
    const workdir = path.join(store.dataDir, "runs", runId);
    fs.mkdirSync(workdir, { recursive: true });
    starter.adopt(ref.runId, runId, secrets);
    await this.#fenced(async (tx) => {
      if (!(await tx.putMemo(ref, key, runId))) return false;
      const { run: child } = await insertRun(tx, {
        runId,
        workflow,
        input: value,
        tenant: run.tenant,
        workdir,
        origin: "start",
        parent: null,
        driverId: run.driverId,
        trigger: "worker",
        actor: null,
        note: `started by step "${ref.stepId}" of run "${ref.runId}"`,
        caller: { runId: ref.runId, stepId: ref.stepId },
      });
      if (child.callerRunId !== ref.runId || child.callerStepId !== ref.stepId)
        throw new CairnError(
          "CONFLICT",
          `Run id "${runId}" is already taken by a run this step did not start.`,
        );
      return true;
    });
    starter.started();
    return runId;
  }

  async #fenced(write: (tx: StoreTx) => Promise<boolean>): Promise<void> {
    const ok = await this.deps.store.transaction(write);
    if (!ok) this.deps.onLeaseLost();
  }
}

/**
 * The id of the n-th call's `child`-th child run: `<run>.<step>.<n>`, then `<run>.<step>.<n>.a2`…;
 * a digest of it when that would be longer than a run id may be.
 */
export function childRunId(runId: string, stepId: string, n: number, child = 1): string {
  const suffix = child > 1 ? `.a${child}` : "";
  const id = `${runId}.${stepId}.${n}${suffix}`;
  if (id.length <= 128 && /^[A-Za-z0-9_.-]+$/.test(id)) return id;
  const key = `${runId}\u0000${stepId}\u0000${n}${child > 1 ? `\u0000${child}` : ""}`;
  return `child_${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
}

const RETIRED_KEY = new RegExp(`^${RESERVED_MEMO_PREFIX}child:\\d+:retired$`);

/** The child runs a step's retries retired (its memos `cairn:child:<n>:retired`): none is current. */
export function retiredChildRuns(memos: ReadonlyArray<{ key: string; value: Json }>): Set<string> {
  const retired = new Set<string>();
  for (const { key, value } of memos)
    if (RETIRED_KEY.test(key)) for (const id of retiredIds(value)) retired.add(id);
  return retired;
}

function retiredIds(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((id): id is string => typeof id === "string") : [];
}

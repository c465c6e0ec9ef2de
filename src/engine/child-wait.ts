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
    const known = recorded.get(key);
    const childId =
      typeof known === "string" ? known : await this.#start(key, this.#count, workflowId, input);
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
    if (FAILED_CHILD.includes(child.status))
      throw new CairnError(
        "UNPROCESSABLE",
        `Child run "${child.id}" (workflow "${child.workflowId}") ${child.status}: ${child.error?.message ?? child.reason ?? "no reason recorded"}. Resume it, or this run, to continue.`,
      );
    const wait: StepWait = { kind: "child", runId: child.id, workflowId: child.workflowId, until: null };
    this.deps.park(wait);
    throw new StepParked(wait);
  }

  /** Insert the child run and record its id, in one transaction fenced on the step's lease. */
  async #start(key: string, n: number, workflowId: string, input: unknown): Promise<string> {
    const { store, ref, run, starter } = this.deps;
    if (!starter)
      throw new CairnError("USAGE", "runWorkflow needs a worker that can start runs (a CairnWorker).");
    const workflow = await starter.workflow(workflowId, run.tenant);
    const { definition } = workflow;
    const value = await validateInput(definition, toJsonValue(input ?? {}, "runWorkflow input"));
    checkSecrets(definition.secrets, this.deps.secrets, `Child workflow "${workflowId}"`);
    const secrets = Object.fromEntries(definition.secrets.map((name) => [name, this.deps.secrets[name]!]));
    const runId = childRunId(ref.runId, ref.stepId, n);
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

/** `<run>.<step>.<n>`, or a digest of it when that would be longer than a run id may be. */
export function childRunId(runId: string, stepId: string, n: number): string {
  const id = `${runId}.${stepId}.${n}`;
  if (id.length <= 128 && /^[A-Za-z0-9_.-]+$/.test(id)) return id;
  return `child_${createHash("sha256").update(`${runId}\u0000${stepId}\u0000${n}`).digest("hex").slice(0, 32)}`;
}

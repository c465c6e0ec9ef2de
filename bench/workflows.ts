import path from "node:path";
import type { RawStep, StepHandler } from "../src/core/definition.js";
import { Cairn, type CairnOptions, Workflow } from "../src/index.js";
import { tempDir } from "./report.js";

/** The workflows the scenarios run. Every step returns `{ i, payload }` with a 100-byte payload. */

export const PAYLOAD = "x".repeat(100);

const trivial =
  (i: number): StepHandler =>
  async () => ({ i, payload: PAYLOAD });

function step(id: string, needs: string[], handler: StepHandler): RawStep {
  return { id, needs, handler, source: handler.toString() };
}

// Steps are handed to the Workflow constructor as one array, the way a generator of large workflows would.
/** s0 → s1 → … → s(n-1). */
export function chain(id: string, n: number): Workflow {
  return new Workflow(
    id,
    {},
    Array.from({ length: n }, (_, i) => step(`s${i}`, i === 0 ? [] : [`s${i - 1}`], trivial(i))),
  );
}

/** root → width parallel steps → join. */
export function fanOut(id: string, width: number): Workflow {
  const branches = Array.from({ length: width }, (_, i) => step(`b${i}`, ["root"], trivial(i)));
  const join = step(
    "join",
    branches.map((b) => b.id as string),
    async ({ needs }) => Object.keys(needs).length,
  );
  return new Workflow(id, {}, [step("root", [], trivial(-1)), ...branches, join]);
}

/**
 * Run a small workflow first, so that the measured run finds the process warm (code compiled by the
 * JIT, statements prepared), as in a worker that has been running for a while.
 */
export async function warmUp(cairn: Cairn, workflow: Workflow): Promise<void> {
  const run = await (await cairn.start(workflow, {})).result();
  if (run.status !== "succeeded") throw new Error(`warm-up run ${run.status}`);
}

/** A fresh store in a temp dir. Recovery is off: every run here is driven by this process. */
export async function openBench(
  prefix: string,
  options: CairnOptions = {},
): Promise<{ cairn: Cairn; dir: string; db: string }> {
  const dir = tempDir(prefix);
  const db = path.join(dir, "cairn.db");
  const cairn = await Cairn.open({ db, recover: false, ...options });
  return { cairn, dir, db };
}

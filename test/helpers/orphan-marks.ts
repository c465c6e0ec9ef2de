import fs from "node:fs";
import path from "node:path";

/**
 * A one-step YAML workflow whose shell step appends start and end marks (with nanosecond times) to a
 * ledger. Its first execution holds for 20 s (decided before the start mark: a SIGTERM right after
 * the mark must not leave the decision to the next execution, which would then hold instead); on
 * SIGTERM it takes `windDownS` more seconds to wind down (less than the 5 s grace) and still writes
 * its end mark, so an execution that starts before that is over overlaps it.
 * Its output goes to a file: once its owner is gone, a write to the step's stdout or stderr (a pipe
 * nobody reads) would end it with SIGPIPE before its SIGTERM trap runs.
 */
export function orphanWorkflow(
  dir: string,
  marks: string,
  options: { recovery: "auto" | "manual"; windDownS: number },
): string {
  const file = path.join(dir, "orphan.yaml");
  const first = path.join(dir, "first-execution");
  fs.writeFileSync(
    file,
    `id: orphan
recovery: ${options.recovery}
steps:
  - id: work
    run: |
      exec >> ${marks}.out 2>&1
      trap 'trap "" TERM; echo "term $$" >> ${marks}; sleep ${options.windDownS}; echo "end $$ $(date +%s%N)" >> ${marks}; exit 1' TERM
      if mkdir ${first} 2>/dev/null; then hold=20; else hold=0; fi
      echo "start $$ $(date +%s%N) $CAIRN_RUN_ID" >> ${marks}
      sleep $hold
      echo "end $$ $(date +%s%N)" >> ${marks}
`,
  );
  return file;
}

export interface Execution {
  readonly pid: number;
  readonly runId: string;
  readonly startNs: bigint;
  readonly endNs: bigint | null;
}

/** The executions in the ledger, in the order they started. */
export function parseMarks(marks: string): Execution[] {
  if (!fs.existsSync(marks)) return [];
  const lines = fs.readFileSync(marks, "utf8").split("\n");
  const executions: Execution[] = [];
  for (const line of lines) {
    const [kind, pid, at, runId] = line.split(" ");
    if (kind === "start")
      executions.push({ pid: Number(pid), runId: runId!, startNs: BigInt(at!), endNs: null });
  }
  return executions.map((e) => {
    const end = lines.find((l) => l.startsWith(`end ${e.pid} `));
    return { ...e, endNs: end ? BigInt(end.split(" ")[2]!) : null };
  });
}

/** Pairs of executions that ran at the same time (an execution without an end mark never ended). */
export function overlaps(executions: readonly Execution[]): string[] {
  const found: string[] = [];
  for (const [i, a] of executions.entries())
    for (const b of executions.slice(i + 1))
      if (a.endNs === null || b.startNs < a.endNs)
        found.push(
          `pid ${a.pid} (end ${a.endNs ?? "never"}) overlaps pid ${b.pid} (start ${b.startNs}) by ${a.endNs === null ? "?" : Number(a.endNs - b.startNs) / 1e6} ms`,
        );
  return found;
}

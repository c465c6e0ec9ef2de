import { stripVTControlCharacters } from "node:util";
import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import { firstLine } from "../core/errors.js";
import type { ResumePlan } from "../core/resume-plan.js";
import { describeWait, parkedWait, runWaiting } from "../core/step-wait.js";
import type { CairnEvent, RunAttemptRecord, RunRecord, StepRecord, StepWait } from "../core/types.js";
import type { DeclaredFile } from "../engine/run-files.js";
import type { RunView } from "../engine/run-view.js";
import type { ItemSummary } from "../store/store.js";
import { withFlags } from "./flag-hints.js";

const ICONS: Record<string, string> = {
  succeeded: pc.green("✓"),
  failed: pc.red("✗"),
  running: pc.cyan("▶"),
  ready: pc.cyan("…"),
  pending: pc.dim("·"),
  cancelled: pc.yellow("■"),
  paused: pc.yellow("‖"),
  interrupted: pc.magenta("!"),
};

export function icon(status: string): string {
  return ICONS[status] ?? "?";
}

function duration(from: number | null, to: number | null): string {
  return from === null ? "-" : formatDuration((to ?? Date.now()) - from);
}

export function provenanceText(step: StepRecord): string {
  const p = step.provenance;
  if (!p) return step.status === "succeeded" ? "executed here" : "";
  if (p.kind === "reused") return `reused from ${p.fromRunId}`;
  if (p.kind === "manual") return `set by hand (${p.by ?? "unknown"})`;
  const why = p.reason ? ` (ran again: ${p.reason})` : "";
  return p.kind === "recovered" ? `recovered after a crash${why}` : `executed here${why}`;
}

export function runLine(run: RunRecord): string {
  const lineage = run.origin === "start" ? "" : pc.dim(` ${run.origin} of ${run.parentRunId}`);
  return `${icon(run.status)} ${run.id}  ${run.workflowId}  ${run.status}  ${duration(run.createdAt, run.finishedAt ?? (run.status === "running" ? null : run.updatedAt))}  attempt ${run.attempt}${lineage}`;
}

/** One line of at most `max` characters: newlines shown as ⏎, the rest cut with an ellipsis. */
export function truncated(text: string, max = 200): string {
  const line = text.replaceAll("\n", "⏎");
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** How long a run took (or has taken, while running); unknown for a run interrupted mid-way. */
function runDuration(run: RunRecord): string {
  if (run.finishedAt !== null) return duration(run.createdAt, run.finishedAt);
  if (run.status === "running") return duration(run.createdAt, null);
  return run.status === "interrupted" ? "-" : duration(run.createdAt, run.updatedAt);
}

/** `cairn ls`: a header, then one row per run with its start time (UTC) and duration. */
export function runTable(runs: readonly RunRecord[]): string {
  const rows = runs.map((r) => [
    `${icon(r.status)} ${r.status}`,
    r.id,
    r.workflowId,
    new Date(r.createdAt).toISOString().replace("T", " ").slice(0, 19),
    runDuration(r),
    String(r.attempt),
    r.origin !== "start"
      ? `${r.origin} of ${r.parentRunId}`
      : r.callerRunId
        ? `child of ${r.callerRunId}`
        : "",
  ]);
  const header = ["STATUS", "RUN", "WORKFLOW", "STARTED (UTC)", "DURATION", "ATTEMPT", "ORIGIN"];
  // Widths ignore the colour codes picocolors adds to the icon.
  const plain = stripVTControlCharacters;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => plain(row[i]!).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c + " ".repeat(widths[i]! - plain(c).length))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** What `cairn show` prints besides the run: its parent's deletion, its map items, its child runs. */
export interface ShownRelations {
  readonly parentDeleted?: boolean;
  readonly items?: readonly ItemSummary[];
  /** Child runs its steps started (`ctx.runWorkflow`, `run-workflow:`). */
  readonly childRuns?: readonly RunRecord[];
}

export function showRun(view: RunView, related: ShownRelations = {}): string {
  const { run, steps } = view;
  const { parentDeleted = false, items = [], childRuns = [] } = related;
  const lines = [
    `run       ${run.id}`,
    `workflow  ${run.workflowId}${run.workflowVersion ? ` version ${run.workflowVersion} (stored)` : ""}`,
    `status    ${icon(run.status)} ${run.status}${run.reason ? ` — ${run.reason}` : ""}`,
    `attempt   ${run.attempt}`,
    `origin    ${run.origin}${run.parentRunId ? ` of ${run.parentRunId}${parentDeleted ? " (deleted)" : ""} (root ${run.rootRunId})` : ""}`,
    ...(run.callerRunId ? [`caller    step "${run.callerStepId}" of run ${run.callerRunId}`] : []),
    `workdir   ${run.workdir}`,
  ];
  if (run.error) lines.push(`error     ${firstLine(run.error.message)}`);
  const waiting = run.status === "running" ? runWaiting(steps) : null;
  if (waiting) lines.push(`waiting   ${waiting}`);
  lines.push("", "steps:");
  const width = Math.max(...steps.map((s) => s.stepId.length), 4);
  for (const s of steps) {
    const error = s.status === "failed" && s.error ? `  ${pc.red(firstLine(s.error.message))}` : "";
    const wait = parkedWait(s);
    const prov = wait ? describeWait(wait) : provenanceText(s);
    lines.push(
      `  ${icon(s.status)} ${s.stepId.padEnd(width)}  ${s.status.padEnd(9)}  attempts ${s.attempts}  ${duration(s.startedAt, s.finishedAt).padStart(6)}${prov ? pc.dim(`  ${prov}`) : ""}${error}`,
    );
    const map = items.find((i) => i.stepId === s.stepId);
    if (map) lines.push(`    ${" ".repeat(width)}  ${itemsText(map)}`);
    if (s.status === "succeeded" && s.output !== null)
      lines.push(`    ${" ".repeat(width)}  ${pc.dim("output")} ${truncated(JSON.stringify(s.output), 120)}`);
  }
  if (childRuns.length > 0) {
    lines.push("", "child runs:");
    for (const c of childRuns)
      lines.push(
        `  ${icon(c.status)} ${c.id}  ${c.workflowId}  ${c.status}  ${pc.dim(`started by step "${c.callerStepId}"`)}`,
      );
  }
  return lines.join("\n");
}

/** A map step's items: "items: 9 succeeded, 1 failed; first error: p7: …". */
function itemsText(summary: ItemSummary): string {
  const { succeeded, failed } = summary.counts;
  const first = summary.firstFailed;
  const error = first ? `; first error: ${first.key}: ${pc.red(firstLine(first.message))}` : "";
  return `${pc.dim("items:")} ${succeeded} succeeded, ${failed} failed${error}`;
}

/**
 * A step as `--json` shows it. `files`: its declared outputs, with the digest recorded when it
 * succeeded and (when `declared` was read from the run directory) whether the file still matches.
 */
export function stepJson(s: StepRecord, declared: readonly DeclaredFile[] = []) {
  const files = s.files
    ? Object.entries(s.files).map(([path, digest]) => ({
        path,
        digest,
        state: declared.find((d) => d.stepId === s.stepId && d.path === path)?.state ?? null,
      }))
    : null;
  return {
    id: s.stepId,
    status: s.status,
    needs: s.needs,
    attempts: s.attempts,
    recoveries: s.recoveries,
    durationMs: s.startedAt !== null && s.finishedAt !== null ? s.finishedAt - s.startedAt : null,
    output: s.output,
    error: s.error,
    checkpoint: s.checkpoint,
    provenance: s.provenance,
    files,
    waiting: parkedWait(s),
  };
}

export function runJson(view: RunView, declared: readonly DeclaredFile[] = []) {
  const waiting = view.run.status === "running" ? runWaiting(view.steps) : null;
  return { ...view.run, waiting, steps: view.steps.map((s) => stepJson(s, declared)) };
}

export function planText(plan: ResumePlan, title = "resume plan"): string {
  const width = Math.max(...plan.steps.map((s) => s.stepId.length), 4);
  const lines = plan.steps.map((s) => `  ${s.action.padEnd(9)} ${s.stepId.padEnd(width)}  ${pc.dim(s.why)}`);
  const summary = Object.entries(plan.summary)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} ${a}`)
    .join(", ");
  // Only the options that differ from Cairn's defaults' source: a workflow's `resume` block or the request.
  const chosen = Object.entries(plan.strategy ?? {})
    .filter(([, s]) => s.from !== "default")
    .map(
      ([option, s]) =>
        `${option} ${JSON.stringify(s.value)} (${s.from === "workflow" ? "the workflow's" : "asked"})`,
    );
  return [
    `${title}: ${summary}`,
    ...(chosen.length > 0 ? [pc.dim(`  strategy: ${chosen.join(", ")}`)] : []),
    ...lines,
    ...(plan.linkedRuns ?? []).map((l) => `  ${pc.dim(`also resumes ${l.relation} run`)} ${l.runId}`),
    ...(plan.refusal ? ["", pc.red(`refused: ${withFlags(plan.refusal)}`)] : []),
  ].join("\n");
}

export function historyText(attempts: readonly RunAttemptRecord[]): string {
  return attempts
    .map(
      (a) =>
        `#${a.number}  ${new Date(a.at).toISOString()}  ${a.action.padEnd(6)}  by ${a.trigger}${a.actor ? `/${a.actor}` : ""}  steps ${a.stepsDone}/${a.stepsTotal} done  → ${a.outcome ?? "running"}${a.strategy ? pc.dim(`  ${JSON.stringify(a.strategy)}`) : ""}${a.note ? pc.dim(`  ${a.note}`) : ""}`,
    )
    .join("\n");
}

/** One progress line per step event, for `cairn run` on a terminal. */
export function progressLine(event: CairnEvent, startedAt: Map<string, number>): string | null {
  const step = event.stepId ?? "";
  switch (event.type) {
    case "step.started":
      startedAt.set(step, event.at);
      return null;
    case "step.succeeded":
      return `${icon("succeeded")} ${step}  ${formatDuration(event.at - (startedAt.get(step) ?? event.at))}`;
    case "step.failed":
      return `${icon("failed")} ${step}  ${formatDuration(event.at - (startedAt.get(step) ?? event.at))}  ${pc.red(firstLine(String((event.data as { error?: string })?.error ?? "")))}`;
    case "step.retrying":
      return `${pc.yellow("↻")} ${step}  failed, retrying: ${firstLine(String((event.data as { error?: string })?.error ?? ""))}`;
    case "step.waiting":
      return `${pc.cyan("⏸")} ${step}  ${describeWait(event.data as unknown as StepWait)}`;
    case "step.reused":
      return `${pc.dim("=")} ${step}  reused`;
    case "step.marked-done":
      return `${icon("succeeded")} ${step}  marked done`;
    case "step.cancelled":
      return `${icon("cancelled")} ${step}  cancelled`;
    default:
      return null;
  }
}

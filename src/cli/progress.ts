import pc from "picocolors";
import { formatDuration } from "../core/duration.js";
import type { CairnEvent, LogLine, RunRecord } from "../core/types.js";
import { progressLine, runLine, truncated } from "./format.js";

export interface ProgressOptions {
  /** Print each step's output lines (stdout, stderr, ctx.log) as they are recorded. */
  logs: boolean;
  /** A terminal: keep one status line at the bottom with each running step and its elapsed time. */
  live: boolean;
}

/**
 * What `cairn run`/`resume`/`restart`/`rerun` print while they follow a run: one line per step event,
 * the steps' output lines as they come (with `--follow-logs`, the default on a terminal), and on a
 * terminal a status line rewritten in place, `▶ fetch 3.2s · parse 0.4s`. In a pipe with `--follow-logs`
 * the status line becomes one `▶ step  started` line per step, so a log shows what was running.
 */
export class ProgressPrinter {
  readonly #startedAt = new Map<string, number>();
  readonly #running = new Map<string, number>();
  /** A running map step's items, "340/1000" (from its `step.items` events). */
  readonly #items = new Map<string, string>();
  #logsSeen = 0;
  #statusShown = false;
  /** Log lines recorded before this (an earlier attempt's, when following a resume) are not printed. */
  logsSince = 0;

  constructor(
    readonly options: ProgressOptions,
    readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  event(event: CairnEvent): void {
    const step = event.stepId ?? "";
    if (event.type === "step.items") {
      const { total, succeeded, failed } = event.data as { total: number; succeeded: number; failed: number };
      const counts = `${succeeded + failed}/${total} items${failed > 0 ? `, ${failed} failed` : ""}`;
      // On a terminal the status line shows it; elsewhere one line (at most one a second per map).
      if (this.options.live) this.#items.set(step, counts);
      else this.#line(`${pc.cyan("…")} ${step}  ${counts}`);
      return;
    }
    if (event.type === "step.started") {
      this.#running.set(step, event.at);
      if (!this.options.live && this.options.logs) this.#line(`${pc.cyan("▶")} ${step}  started`);
    } else if (event.stepId !== null && event.type !== "step.ready") {
      this.#running.delete(step);
      this.#items.delete(step);
    }
    const line = progressLine(event, this.#startedAt);
    if (line) this.#line(line);
  }

  /** Every log line of the run so far (in order); prints the ones not printed yet. */
  logs(all: readonly LogLine[]): void {
    if (!this.options.logs) return;
    for (const l of all.slice(this.#logsSeen))
      if (l.at >= this.logsSince)
        this.#line(pc.dim(`  ${l.stepId} │ `) + (l.stream === "stderr" ? pc.red(l.line) : l.line));
    this.#logsSeen = all.length;
  }

  /** Redraw the status line (terminal only). */
  tick(now = Date.now()): void {
    if (!this.options.live) return;
    const parts = [...this.#running].map(
      ([step, at]) =>
        `${step} ${formatDuration(now - at)}${this.#items.has(step) ? ` ${this.#items.get(step)}` : ""}`,
    );
    this.#clearStatus();
    if (parts.length === 0) return;
    this.write(`${pc.cyan("▶")} ${parts.join(pc.dim(" · "))}`);
    this.#statusShown = true;
  }

  /** Remove the status line before the final summary. */
  end(): void {
    this.#clearStatus();
  }

  #line(text: string): void {
    this.#clearStatus();
    this.write(`${text}\n`);
  }

  #clearStatus(): void {
    if (!this.#statusShown) return;
    this.write("\r\x1b[2K");
    this.#statusShown = false;
  }
}

/** The latest `run.resumed` event: following a resume prints only what happens from it on. */
export function latestResume(events: readonly CairnEvent[]): CairnEvent | undefined {
  return events.findLast((e) => e.type === "run.resumed");
}

/** `--follow-logs` / `--no-follow-logs` as given (undefined: neither); a terminal shows logs by default. */
export function progressPrinter(followLogs: boolean | undefined): ProgressPrinter {
  const live = process.stdout.isTTY === true;
  return new ProgressPrinter({ live, logs: followLogs ?? live });
}

/** The last lines of a foreground run: its summary, then its error or its output. */
export function runSummary(run: RunRecord): string {
  if (run.error) return `${runLine(run)}\n  ${run.error.message}`;
  return run.status === "succeeded" && run.output !== null
    ? `${runLine(run)}\n  output: ${truncated(JSON.stringify(run.output))}`
    : runLine(run);
}

import { CairnError } from "../core/errors.js";
import { ON_CHANGE, type OnChange } from "../core/resume-plan.js";
import { type BulkFlags, checkBulkFlags } from "./bulk-command.js";

/** The flags of resume, restart and rerun, checked before the store is opened. */

/** The --on-change value, checked. */
export function onChangeOption(value: string | undefined): OnChange | undefined {
  if (value !== undefined && !ON_CHANGE.includes(value as OnChange))
    throw new CairnError("USAGE", `--on-change must be one of ${ON_CHANGE.join(", ")}, got "${value}".`);
  return value as OnChange | undefined;
}

/** `rerun --all` reruns the failed steps of every selected run: one selection, no other source. */
export function checkBulkRerun(
  runId: string | undefined,
  opts: BulkFlags & {
    failed?: boolean;
    from?: string;
    items?: string;
    latestFailed?: string;
    onChange?: string;
    version?: string;
  },
): void {
  if (!opts.all) return;
  checkBulkVersion(runId, opts);
  if (opts.failed !== true || opts.from !== undefined || opts.items !== undefined)
    throw new CairnError(
      "USAGE",
      "rerun --all reruns failed steps: add --failed (--from and --items name steps and items of one run).",
    );
  if (opts.latestFailed !== undefined)
    throw new CairnError("USAGE", "Use --latest-failed WORKFLOW or --all with a selection, not both.");
  if (opts.onChange !== undefined)
    throw new CairnError(
      "USAGE",
      "--on-change applies to one run; rerun --all refuses a run whose steps changed.",
    );
}

/** The bulk flags, checked; `--version` names a version of one run's workflow, not of many. */
export function checkBulkVersion(runId: string | undefined, opts: BulkFlags & { version?: string }): void {
  checkBulkFlags(runId, opts);
  if (opts.all && opts.version !== undefined)
    throw new CairnError("USAGE", "--version applies to one run; --all uses each run's newest version.");
}

export function commaList(text: unknown): string[] {
  return String(text)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

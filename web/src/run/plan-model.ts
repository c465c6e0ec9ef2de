import { type OnChange, PLAN_ACTIONS, type PlanAction, type PlanStep, type ResumePlan } from "../api/types";

/** What each plan action means, for the dialog's legend and row tooltips. */
export const ACTION_TEXT: Record<PlanAction, { label: string; meaning: string }> = {
  keep: { label: "keep", meaning: "succeeded; its recorded output is kept and it does not run" },
  retry: { label: "retry", meaning: "failed; it runs again" },
  reset: { label: "reset", meaning: "was running when the run stopped; it runs again" },
  run: { label: "run", meaning: "has not run yet; it runs" },
  rerun: { label: "rerun", meaning: "succeeded, but runs again" },
  blocked: { label: "blocked", meaning: "cannot run with these options" },
  "mark-done": { label: "mark done", meaning: "recorded as succeeded by hand" },
};

export const ON_CHANGE_TEXT: Record<OnChange, { label: string; description: string }> = {
  error: { label: "Refuse", description: "Start nothing while a step's definition changed (the default)." },
  rerun: {
    label: "Run changed steps again",
    description: "Execute the changed steps and everything downstream of them.",
  },
  keep: {
    label: "Keep their outputs",
    description: "Keep what the changed steps returned before; do not run them.",
  },
};

export interface PlanRow extends PlanStep {
  label: string | null;
  executes: boolean;
}

export interface PlanViewModel {
  rows: PlanRow[];
  /** Non-zero counts, in the order keep, retry, reset, run, rerun, blocked, mark-done. */
  counts: Array<{ action: PlanAction; count: number }>;
  executes: number;
  /** The definition changed since the run started: offer the onChange choices. */
  offerOnChange: boolean;
  refusal: string | null;
  missingSecrets: string[];
  canConfirm: boolean;
  confirmLabel: string;
  /** A rerun of a run of a stored workflow: the versions the plan compares and the steps it found changed. */
  versions: VersionChange | null;
}

export interface VersionChange {
  /** The version the run executed, and the one the new run will (the newest stored unless one is named). */
  from: string;
  to: string;
  /** The plan's rows for steps whose definition differs between the two, with the plan's reason. */
  changed: PlanRow[];
}

const EXECUTES: ReadonlySet<PlanAction> = new Set(["retry", "reset", "run", "rerun"]);

/** Everything the resume (or rerun) dialog shows, derived from the API's plan (no rules of its own). */
export function planViewModel(
  plan: ResumePlan,
  options: {
    labels?: ReadonlyMap<string, string | null>;
    secrets?: Readonly<Record<string, string>>;
    busy?: boolean;
    onChange?: OnChange;
    kind?: "resume" | "rerun";
  },
): PlanViewModel {
  const rows = plan.steps.map((s) => ({
    ...s,
    label: options.labels?.get(s.stepId) ?? null,
    executes: EXECUTES.has(s.action),
  }));
  const counts = PLAN_ACTIONS.map((action) => ({ action, count: plan.summary[action] ?? 0 })).filter(
    (c) => c.count > 0,
  );
  const missingSecrets = plan.secretsNeeded.filter((name) => !options.secrets?.[name]);
  const busy = options.busy === true;
  const changed = new Set(plan.changed);
  const versions =
    plan.versions?.from && plan.versions.to
      ? {
          from: plan.versions.from,
          to: plan.versions.to,
          changed: rows.filter((r) => changed.has(r.stepId) || r.cause === "definition-changed"),
        }
      : null;
  return {
    versions,
    rows,
    counts,
    executes: rows.filter((r) => r.executes).length,
    offerOnChange:
      plan.changed.length > 0 || (options.onChange !== undefined && options.onChange !== "error"),
    refusal: plan.refusal,
    missingSecrets,
    canConfirm: !busy && plan.refusal === null && missingSecrets.length === 0,
    confirmLabel:
      options.kind === "rerun"
        ? busy
          ? "Rerunning…"
          : "Start the rerun"
        : busy
          ? "Resuming…"
          : "Resume run",
  };
}

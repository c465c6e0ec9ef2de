import type { Provenance, RerunReason } from "../api/types";

const REASONS: Record<RerunReason, string> = {
  failed: "it had failed",
  "was-running": "it was running when its run stopped",
  "was-cancelled": "it was cancelled",
  "definition-changed": "its definition changed",
  "declared-file-changed": "a file it declares was missing or changed",
  selected: "it was selected for the rerun",
  downstream: "a step upstream of it ran again",
  "crash-recovery": "its worker died while it ran",
};

/** Where a step's result came from, in words: "executed here", "reused from run X", "set by hand". */
export function provenanceText(
  p: Provenance | null,
  attempts: number,
): { text: string; fromRunId: string | null } {
  if (!p) return { text: attempts > 0 ? "executed here" : "not executed yet", fromRunId: null };
  const why = p.reason ? ` (ran again because ${REASONS[p.reason]})` : "";
  switch (p.kind) {
    case "reused":
      return { text: "reused from run", fromRunId: p.fromRunId ?? null };
    case "manual":
      return { text: `set by hand${p.by ? ` by ${p.by}` : ""}`, fromRunId: null };
    case "recovered":
      return { text: `executed here after a crash recovery${why}`, fromRunId: null };
    default:
      return { text: `executed here${why}`, fromRunId: null };
  }
}

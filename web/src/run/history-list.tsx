import type { RunAttempt } from "../api/types";
import { StatusBadge } from "../components/status-badge";
import { formatDuration, formatTime } from "../format";

/** Every start and resume of the run: when, who, strategy, outcome. */
export function HistoryList({ attempts }: { attempts: readonly RunAttempt[] }) {
  return (
    <section className="panel history" aria-labelledby="history-title">
      <div className="panel-head">
        <h2 id="history-title">History</h2>
        <span className="muted small" data-testid="history-count">
          {attempts.length} attempt{attempts.length === 1 ? "" : "s"}
        </span>
      </div>
      <ol className="history-list">
        {attempts.map((a) => (
          <li key={a.number} data-testid="history-attempt" data-outcome={a.outcome ?? "running"}>
            <div className="history-line">
              <strong>
                #{a.number} {a.action}
              </strong>
              {a.outcome ? (
                <StatusBadge status={a.outcome} compact />
              ) : (
                <StatusBadge status="running" compact />
              )}
            </div>
            <div className="muted small">
              {formatTime(a.at)}
              {a.endedAt ? ` · took ${formatDuration(a.endedAt - a.at)}` : ""} · by {a.actor ?? a.trigger}
              {a.actor ? ` (${a.trigger})` : ""}
            </div>
            <div className="small">
              began with {a.stepsDone} of {a.stepsTotal} steps done
              {strategyText(a.strategy) && ` · ${strategyText(a.strategy)}`}
              {a.note && ` · ${a.note}`}
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The options a resume (or restart/rerun) was asked with, as `key: value` pairs. */
function strategyText(strategy: unknown): string {
  if (strategy === null || strategy === undefined) return "";
  if (typeof strategy !== "object") return String(strategy);
  return Object.entries(strategy as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(", ");
}

import type { LogLine } from "../api/types";
import { VirtualList } from "../components/virtual-list";
import { download } from "../download";
import { formatClock } from "../format";

/**
 * A step's log lines with their time, attempt and stream; virtualised (10,000 lines scroll like 20).
 * While the step runs the panel fetches them again every 2 s: the worker stores new lines about
 * once a second. Download saves every line in full as text.
 */
export function StepLogs(props: {
  runId: string;
  stepId: string;
  lines: readonly LogLine[];
  running: boolean;
}) {
  const { runId, stepId, lines, running } = props;
  return (
    <section className="step-logs" aria-label="Logs" data-testid="step-logs">
      <div className="logs-head">
        <span className="muted small" data-testid="log-count">
          {lines.length === 1 ? "1 line" : `${lines.length} lines`}
          {running ? " · following the running step" : ""}
        </span>
        {lines.length > 0 && (
          <button
            type="button"
            className="button subtle small"
            onClick={() => download(`${runId}-${stepId}.log`, new Blob([logText(lines)], { type: TEXT }))}
            data-testid="download-logs"
          >
            Download
          </button>
        )}
      </div>
      {lines.length === 0 ? (
        <p className="muted">{running ? "no output yet" : "no output"}</p>
      ) : (
        <VirtualList
          className="logs mono"
          items={lines}
          rowHeight={20}
          maxHeight={260}
          label="Step logs"
          renderRow={(l, i, style) => (
            <li
              key={i}
              style={style}
              className={`log-line log-${l.stream}`}
              title={l.line}
              data-testid="log-line"
            >
              <time className="log-time" dateTime={new Date(l.at).toISOString()}>
                {formatClock(l.at)}
              </time>
              <span className="log-attempt" title={`attempt ${l.attempt}, ${l.stream}`}>
                #{l.attempt}
              </span>
              {l.stream === "stderr" && <span className="sr-only">stderr: </span>}
              <span className="log-text">{l.line}</span>
            </li>
          )}
        />
      )}
    </section>
  );
}

/** One line per log line: ISO time, attempt, stream, text. */
export function logText(lines: readonly LogLine[]): string {
  return lines.map((l) => `${new Date(l.at).toISOString()} #${l.attempt} ${l.stream} ${l.line}\n`).join("");
}

const TEXT = "text/plain;charset=utf-8";

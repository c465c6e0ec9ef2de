import { formatBytes } from "../format";

/** Output above this many lines starts collapsed. */
const COLLAPSE_LINES = 24;

/** Pretty JSON; large values start collapsed behind a summary that says how large they are. */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  if (value === undefined || value === null) return <p className="muted">none</p>;
  const text = JSON.stringify(value, null, 2) ?? String(value);
  const lines = text.split("\n").length;
  const pre = (
    <pre className="json" data-label={label}>
      {text}
    </pre>
  );
  if (lines <= COLLAPSE_LINES) return pre;
  return (
    <details className="json-details">
      <summary>
        Show {label} ({lines} lines, {formatBytes(text.length)})
      </summary>
      {pre}
    </details>
  );
}

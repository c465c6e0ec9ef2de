import { useEffect, useRef, useState } from "react";
import { RUN_STATUSES, type RunStatus } from "../api/types";

/** Typing pauses this long before the list is read again (one request per pause, not per key). */
const SEARCH_PAUSE_MS = 300;

/** The search box: the start of a run id; Enter searches at once. */
export function IdSearch(props: { value: string | null; onChange: (idPrefix: string | null) => void }) {
  const { value, onChange } = props;
  const [text, setText] = useState(value ?? "");
  const timer = useRef<number | undefined>(undefined);
  // The URL wins when it changes from elsewhere (Clear filters, back).
  useEffect(() => setText(value ?? ""), [value]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const apply = (next: string) => {
    window.clearTimeout(timer.current);
    const idPrefix = next.trim() || null;
    if (idPrefix !== value) onChange(idPrefix);
  };
  return (
    <label>
      Run id
      <input
        type="search"
        value={text}
        placeholder="starts with…"
        spellCheck={false}
        autoComplete="off"
        data-testid="id-search"
        onChange={(e) => {
          const next = e.target.value;
          setText(next);
          window.clearTimeout(timer.current);
          timer.current = window.setTimeout(() => apply(next), SEARCH_PAUSE_MS);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter") apply(text);
        }}
      />
    </label>
  );
}

/** Several statuses at once: a list of checkboxes that opens under its summary. */
export function StatusPicker(props: {
  value: readonly RunStatus[];
  onChange: (statuses: RunStatus[]) => void;
}) {
  const { value, onChange } = props;
  const toggle = (status: RunStatus) =>
    onChange(RUN_STATUSES.filter((s) => (s === status ? !value.includes(s) : value.includes(s))));
  return (
    <details className="status-picker" data-testid="status-filter">
      <summary>
        Status: <span className="status-picker-value">{value.length ? value.join(", ") : "all"}</span>
      </summary>
      <fieldset>
        <legend className="sr-only">Show runs in these statuses</legend>
        {RUN_STATUSES.map((status) => (
          <label key={status}>
            <input
              type="checkbox"
              checked={value.includes(status)}
              onChange={() => toggle(status)}
              data-testid={`status-${status}`}
            />
            {status}
          </label>
        ))}
      </fieldset>
    </details>
  );
}

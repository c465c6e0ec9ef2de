import type { StreamState } from "../api/sse";

const TEXT: Record<StreamState, string> = {
  connecting: "connecting…",
  open: "live",
  reconnecting: "reconnecting…",
  closed: "not live",
};

/** Whether the page is receiving live events (text, not just a dot). */
export function LiveIndicator({ state }: { state: StreamState }) {
  return (
    <span className={`live live-${state}`} data-testid="live-indicator" data-state={state}>
      <span className="live-dot" aria-hidden="true" />
      {TEXT[state]}
    </span>
  );
}

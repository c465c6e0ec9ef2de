import { Icon } from "./icon";
import { type DisplayStatus, STATUS_META } from "./status";

/** A status as icon and text (never colour alone), with what it means as a tooltip. */
export function StatusBadge({ status, compact = false }: { status: DisplayStatus; compact?: boolean }) {
  const meta = STATUS_META[status];
  return (
    <span
      className={`badge status-${status}${compact ? " badge-compact" : ""}`}
      title={meta.description}
      data-status={status}
    >
      <Icon name={meta.icon} />
      <span className="badge-text">{meta.label}</span>
    </span>
  );
}

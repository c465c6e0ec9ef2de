import { useId } from "react";

/**
 * An action button with its three states: ready; not allowed now (stays focusable, says why in a
 * tooltip, `aria-disabled`); in flight (disabled, and its label says so: "Resuming…").
 */
export function ActionButton(props: {
  label: string;
  busyLabel: string;
  busy: boolean;
  /** Another action is in flight: wait for it. */
  locked?: boolean;
  /** Why the action is not allowed now, or null when it is. */
  disabledReason: string | null;
  onClick: () => void;
  primary?: boolean;
  danger?: boolean;
  testId?: string;
}) {
  const tipId = useId();
  const { busy, disabledReason } = props;
  const className = `button${props.primary ? " primary" : ""}${props.danger ? " danger" : ""}`;
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        disabled={busy || props.locked === true}
        aria-disabled={disabledReason ? true : undefined}
        aria-describedby={disabledReason ? tipId : undefined}
        aria-busy={busy || undefined}
        data-testid={props.testId}
        onClick={disabledReason ? undefined : props.onClick}
      >
        {busy ? props.busyLabel : props.label}
      </button>
      {disabledReason && (
        <span role="tooltip" id={tipId} className="tooltip">
          {disabledReason}
        </span>
      )}
    </span>
  );
}

import { ACTION_TEXT, type VersionChange } from "./plan-model";

/**
 * A rerun of a run of a stored workflow: which version the new run uses (the newest, or the run's
 * own) and the steps that changed between the two, each with the plan's reason.
 */
export function PlanVersions({ versions }: { versions: VersionChange }) {
  const { from, to, changed } = versions;
  if (from === to)
    return (
      <p className="plan-versions" data-testid="plan-versions">
        The new run uses this run's own version <span className="mono">{from}</span>: no newer version is
        stored.
      </p>
    );
  return (
    <div className="plan-versions" data-testid="plan-versions">
      <p>
        The new run uses the newest version <span className="mono">{to}</span>; this run used version{" "}
        <span className="mono">{from}</span>.
      </p>
      {changed.length === 0 ? (
        <p className="muted">No step changed between the two versions that this rerun would keep.</p>
      ) : (
        <>
          <p>Changed between the versions:</p>
          <ul data-testid="plan-changed-steps">
            {changed.map((row) => (
              <li key={row.stepId} data-step-id={row.stepId}>
                <strong>{row.label ?? row.stepId}</strong> ({ACTION_TEXT[row.action].label}): {row.why}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

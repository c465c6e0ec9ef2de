import { useState } from "react";
import type { RerunSelection } from "../api/client";
import { FINISHED_RUN_STATUSES, type RunDetail } from "../api/types";
import { useReadOnlyReason } from "../api/use-read-only";
import { ActionButton } from "../components/action-button";
import { ConfirmDialog } from "../components/confirm-dialog";
import { PlanDialog } from "./plan-dialog";
import { RunFromFailedButton } from "./run-from-failed";
import { failedNodes } from "./run-from-failed-model";
import { useRerunRefusals } from "./use-rerun-refusals";
import type { RunActionsApi } from "./use-run-actions";

/** "Rerun all failed nodes of run X?", "Rerun from Load rows of run X?", "Rerun from b, c of run X?". */
function rerunTitle(
  runId: string,
  selection: RerunSelection,
  labels: ReadonlyMap<string, string | null>,
): string {
  if ("failed" in selection) return `Rerun all failed nodes of run ${runId}?`;
  return `Rerun from ${selection.from.map((id) => labels.get(id) ?? id).join(", ")} of run ${runId}?`;
}

/**
 * Whether the API would delete the run: a finished one. A run shown as interrupted because its owner
 * died is still recorded as running (`orphaned`), and the API refuses it.
 */
function deletable(run: RunDetail): boolean {
  return FINISHED_RUN_STATUSES.includes(run.status) && run.orphaned === null;
}

/** The run's action bar: Resume, Restart, Run from failed node, Pause, Cancel, Delete, and their dialogs. */
export function RunActions({
  run,
  actions,
  onPick,
}: {
  run: RunDetail;
  actions: RunActionsApi;
  onPick: () => void;
}) {
  const [confirm, setConfirm] = useState<"restart" | "cancel" | "delete" | null>(null);
  const { inFlight } = actions;
  const locked = inFlight !== null;
  const labels = new Map(run.steps.map((s) => [s.id, s.label]));
  const failed = failedNodes(run.steps);
  const refusals = useRerunRefusals(run, failed);
  const dialog = actions.resumeDialog;
  // A read-only token may do none of these: say so on every button rather than answer 403 later.
  const readOnly = useReadOnlyReason();
  return (
    <div className="actions" role="toolbar" aria-label="Run actions">
      <ActionButton
        label="Resume"
        busyLabel="Resuming…"
        busy={inFlight === "resume"}
        locked={locked}
        disabledReason={readOnly ?? run.actions.resume.reason}
        onClick={actions.openResume}
        primary
        testId="resume"
      />
      <ActionButton
        label="Restart"
        busyLabel="Restarting…"
        busy={inFlight === "restart"}
        locked={locked}
        disabledReason={readOnly ?? run.actions.restart.reason}
        onClick={() => setConfirm("restart")}
        testId="restart"
      />
      <RunFromFailedButton
        rerunRefusal={readOnly ?? run.actions.rerun.reason}
        failed={failed}
        busy={inFlight === "rerun"}
        locked={locked && inFlight !== "rerun"}
        refusals={refusals}
        onRerunFailed={() => actions.openRerun({ failed: true })}
        onRerunFrom={(stepId) => actions.openRerun({ from: [stepId] })}
        onPick={onPick}
      />
      <ActionButton
        label="Pause"
        busyLabel="Pausing…"
        busy={inFlight === "pause"}
        locked={locked}
        disabledReason={readOnly ?? run.actions.pause.reason}
        onClick={actions.pause}
        testId="pause"
      />
      <ActionButton
        label="Cancel run"
        busyLabel="Cancelling…"
        busy={inFlight === "cancel"}
        locked={locked}
        disabledReason={readOnly ?? run.actions.cancel.reason}
        onClick={() => setConfirm("cancel")}
        danger
        testId="cancel"
      />
      {deletable(run) && (
        <ActionButton
          label="Delete run"
          busyLabel="Deleting…"
          busy={inFlight === "delete"}
          locked={locked}
          disabledReason={readOnly}
          onClick={() => setConfirm("delete")}
          danger
          testId="delete"
        />
      )}

      {dialog && (
        <PlanDialog
          kind={dialog.kind}
          title={dialog.selection ? rerunTitle(run.id, dialog.selection, labels) : `Resume run ${run.id}?`}
          runId={run.id}
          plan={dialog.plan}
          loading={dialog.loading}
          error={dialog.error}
          onChange={dialog.onChange}
          onChangeChoice={actions.chooseOnChange}
          options={dialog.options}
          onOptions={actions.chooseOptions}
          markable={run.steps.filter((s) => s.status !== "succeeded").map((s) => s.id)}
          secrets={dialog.secrets}
          onSecret={actions.setSecret}
          labels={labels}
          busy={inFlight === dialog.kind}
          onConfirm={actions.confirmResume}
          onClose={actions.closeResume}
        />
      )}
      {confirm === "restart" && (
        <ConfirmDialog
          title={`Restart run ${run.id}?`}
          confirmLabel="Restart from scratch"
          onConfirm={actions.restart}
          onClose={() => setConfirm(null)}
          testId="restart-dialog"
        >
          <p>
            Restart starts a <strong>new run</strong> of <code>{run.workflowId}</code> from scratch with the
            same input: every one of its {run.steps.length} steps executes again, nothing is reused. This run
            stays as it is and is linked as the new run's parent.
          </p>
        </ConfirmDialog>
      )}
      {confirm === "cancel" && (
        <ConfirmDialog
          title={`Cancel run ${run.id}?`}
          confirmLabel="Cancel run"
          danger
          onConfirm={actions.cancel}
          onClose={() => setConfirm(null)}
          testId="cancel-dialog"
        >
          <p>
            No new step starts, and running steps are stopped (shell commands get SIGTERM, then SIGKILL).
            Steps that succeeded keep their results: you can resume the run later.
          </p>
        </ConfirmDialog>
      )}
      {confirm === "delete" && (
        <ConfirmDialog
          title={`Delete run ${run.id}?`}
          confirmLabel="Delete run"
          danger
          onConfirm={actions.remove}
          onClose={() => setConfirm(null)}
          testId="delete-dialog"
        >
          <p>
            The run's rows (its steps, events, logs and history) and its working directory on the server are
            deleted. <strong>This cannot be restored.</strong> Runs made from it (restarts, reruns) keep
            working; their lineage shows it as deleted.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

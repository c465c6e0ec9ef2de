import { useState } from "react";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { BulkAction, BulkReport } from "../api/types";
import { useReadOnlyReason } from "../api/use-read-only";
import { ActionButton } from "../components/action-button";
import { Modal } from "../components/modal";
import { RunLink } from "../components/run-link";
import { useToasts } from "../components/toasts";

/** The actions offered on selected runs, in the words of their buttons. */
const ACTIONS: ReadonlyArray<{ action: BulkAction; label: string; verb: string }> = [
  { action: "resume", label: "Resume", verb: "resumed" },
  { action: "rerun", label: "Rerun failed steps", verb: "rerun" },
  { action: "restart", label: "Restart", verb: "restarted" },
  { action: "cancel", label: "Cancel", verb: "cancelled" },
];

/**
 * The toolbar over a runs list with selected runs: each action first shows the combined plan of a
 * dry run (per run what it would do, or why it is refused, and totals), then applies it run by run;
 * a refused run does not stop the others. A read-only token sees every action disabled with the
 * reason (even a dry run is a POST, which the API refuses it).
 */
export function BulkActions(props: { selected: readonly string[]; onClear: () => void; onDone: () => void }) {
  const { selected } = props;
  const client = useApi();
  const toasts = useToasts();
  const [open, setOpen] = useState<{
    action: BulkAction;
    plan: BulkReport | null;
    error: string | null;
  } | null>(null);
  const [busy, setBusy] = useState(false);
  const readOnly = useReadOnlyReason();

  const preview = (action: BulkAction) => {
    setOpen({ action, plan: null, error: null });
    client
      .bulk(action, selected, true)
      .then((plan) => setOpen((o) => (o?.action === action ? { ...o, plan } : o)))
      .catch((e: unknown) => setOpen((o) => (o?.action === action ? { ...o, error: messageOf(e) } : o)));
  };
  const apply = (action: BulkAction) => {
    setBusy(true);
    client
      .bulk(action, selected, false)
      .then((report) => {
        const results = report.results ?? [];
        const ok = results.filter((r) => r.ok).length;
        const verb = ACTIONS.find((a) => a.action === action)!.verb;
        const refused = results.length - ok;
        const text = `${ok} run${ok === 1 ? "" : "s"} ${verb}${refused > 0 ? `, ${refused} refused` : ""}`;
        if (ok > 0) toasts.success(text);
        else toasts.error(text);
        setOpen(null);
        props.onClear();
        props.onDone();
      })
      .catch((e: unknown) => toasts.error(messageOf(e)))
      .finally(() => setBusy(false));
  };

  return (
    <div className="bulk-bar" role="toolbar" aria-label="Selected runs" data-testid="bulk-bar">
      <span data-testid="bulk-count">{selected.length} selected</span>
      {ACTIONS.map((a) => (
        <ActionButton
          key={a.action}
          label={`${a.label}…`}
          busyLabel={`${a.label}…`}
          busy={false}
          disabledReason={readOnly}
          onClick={() => preview(a.action)}
          testId={`bulk-${a.action}`}
        />
      ))}
      <button type="button" className="link-button" onClick={props.onClear}>
        clear selection
      </button>
      {open && (
        <Modal
          title={`${ACTIONS.find((a) => a.action === open.action)!.label}: ${selected.length} runs`}
          onClose={() => setOpen(null)}
          wide
          testId="bulk-dialog"
          footer={
            <>
              <button type="button" className="button" onClick={() => setOpen(null)}>
                Back
              </button>
              <button
                type="button"
                className="button primary"
                disabled={busy || !open.plan || open.plan.totals.refused === open.plan.totals.runs}
                onClick={() => apply(open.action)}
                data-testid="bulk-confirm"
              >
                {busy
                  ? "Working…"
                  : `Apply to ${open.plan ? open.plan.totals.runs - open.plan.totals.refused : "…"} runs`}
              </button>
            </>
          }
        >
          {open.error && (
            <p className="field-error" role="alert">
              {open.error}
            </p>
          )}
          {!open.plan && !open.error && <p className="muted">Asking for the plan…</p>}
          {open.plan && <BulkPlan plan={open.plan} />}
        </Modal>
      )}
    </div>
  );
}

function BulkPlan({ plan }: { plan: BulkReport }) {
  const { totals } = plan;
  return (
    <>
      <p data-testid="bulk-totals">
        {totals.runs - totals.refused} of {totals.runs} runs; {totals.execute} steps to execute, {totals.keep}{" "}
        kept
        {totals.refused > 0 ? `; ${totals.refused} refused` : ""}.
      </p>
      <table className="bulk-plan">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            <th scope="col">What happens</th>
          </tr>
        </thead>
        <tbody>
          {plan.runs.map((r) => (
            <tr
              key={r.runId}
              data-testid="bulk-plan-row"
              data-run-id={r.runId}
              data-refused={r.refusal !== null}
            >
              <td>
                <RunLink runId={r.runId} />
              </td>
              <td>{r.status}</td>
              <td>
                {r.refusal ??
                  Object.entries(r.steps)
                    .map(([action, n]) => `${action} ${n}`)
                    .join(", ")}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

import { useEffect, useState } from "react";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { Schedule } from "../api/types";
import { useReadOnlyReason } from "../api/use-read-only";
import { RunLink } from "../components/run-link";
import { useToasts } from "../components/toasts";
import { formatDuration, formatTime } from "../format";

/**
 * A workflow's schedules (from `GET /api/schedules`): when each ticks, its next tick, the run its
 * latest tick started, and Pause / Resume. Shown only for a workflow that declares schedules.
 */
export function SchedulesPanel({ workflowId }: { workflowId: string }) {
  const client = useApi();
  const toasts = useToasts();
  const readOnly = useReadOnlyReason();
  const [schedules, setSchedules] = useState<Schedule[] | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    client
      .listSchedules(abort.signal)
      .then((r) => setSchedules(r.schedules.filter((s) => s.workflowId === workflowId)))
      .catch((e: unknown) => {
        if (!abort.signal.aborted) toasts.error(messageOf(e));
      });
    return () => abort.abort();
  }, [client, toasts, workflowId]);
  if (!schedules || schedules.length === 0) return null;

  const toggle = async (s: Schedule) => {
    setBusy(s.name);
    try {
      const now = await client.setSchedule(workflowId, s.name, s.paused ? "resume" : "pause");
      setSchedules((list) => list?.map((x) => (x.name === now.name ? now : x)) ?? null);
      toasts.success(`Schedule ${s.name} ${now.paused ? "paused" : "resumed"}.`);
    } catch (e) {
      toasts.error(messageOf(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="panel schedules" aria-labelledby="schedules-title" data-testid="schedules">
      <h3 id="schedules-title">Schedules</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">When</th>
            <th scope="col">Next run</th>
            <th scope="col">Latest run</th>
            <th scope="col">
              <span className="sr-only">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {schedules.map((s) => (
            <tr key={s.name} data-testid="schedule-row" data-name={s.name} data-paused={s.paused}>
              <td className="mono">{s.name}</td>
              <td>
                {s.cron !== null ? (
                  <>
                    <code>{s.cron}</code> ({s.timezone ?? "UTC"})
                  </>
                ) : (
                  `every ${formatDuration(s.everyMs)}`
                )}
                {s.missed === "catch-up" ? " · catches up missed ticks" : ""}
              </td>
              <td data-testid="schedule-next">{s.paused ? "paused" : formatTime(s.nextTick)}</td>
              <td>
                {s.lastRunId ? <RunLink runId={s.lastRunId} /> : <span className="muted">none yet</span>}
              </td>
              <td>
                <button
                  type="button"
                  className="button"
                  disabled={busy !== null || readOnly !== null}
                  title={readOnly ?? undefined}
                  onClick={() => void toggle(s)}
                >
                  {s.paused ? "Resume" : "Pause"}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

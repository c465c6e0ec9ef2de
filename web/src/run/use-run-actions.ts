import { useCallback, useState } from "react";
import type { RerunRequest } from "../api/client";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { OnChange, ResumePlan } from "../api/types";
import { useToasts } from "../components/toasts";
import { navigate, runHref } from "../router";

export type ActionName = "resume" | "restart" | "rerun" | "cancel" | "pause";

export interface ResumeDialogState {
  plan: ResumePlan | null;
  loading: boolean;
  error: string | null;
  onChange: OnChange;
  secrets: Record<string, string>;
}

/**
 * The run's actions against the API: one in flight at a time; success and error toasts carry the
 * API's own message; restart and rerun open the new run.
 */
export function useRunActions(runId: string, refresh: () => void) {
  const client = useApi();
  const toasts = useToasts();
  const [inFlight, setInFlight] = useState<ActionName | null>(null);
  const [resumeDialog, setResumeDialog] = useState<ResumeDialogState | null>(null);

  const run = useCallback(
    async <T>(name: ActionName, call: () => Promise<T>, done: (result: T) => void) => {
      setInFlight(name);
      try {
        done(await call());
      } catch (error) {
        toasts.error(messageOf(error));
      } finally {
        setInFlight(null);
        refresh();
      }
    },
    [toasts, refresh],
  );

  const loadPlan = useCallback(
    (onChange: OnChange) => {
      setResumeDialog((d) => ({
        plan: d?.plan ?? null,
        loading: true,
        error: null,
        onChange,
        secrets: d?.secrets ?? {},
      }));
      client
        .resumePlan(runId, onChange === "error" ? {} : { onChange })
        .then((plan) => setResumeDialog((d) => d && { ...d, plan, loading: false }))
        .catch((e: unknown) => setResumeDialog((d) => d && { ...d, loading: false, error: messageOf(e) }));
    },
    [client, runId],
  );

  const confirmResume = useCallback(() => {
    const dialog = resumeDialog;
    setResumeDialog(null);
    if (!dialog) return;
    const body = {
      ...(dialog.onChange !== "error" ? { onChange: dialog.onChange } : {}),
      ...(Object.keys(dialog.secrets).length > 0 ? { secrets: dialog.secrets } : {}),
    };
    void run(
      "resume",
      () => client.resume(runId, body),
      (result) => {
        const executes = result.plan.steps.filter((s) =>
          ["retry", "reset", "run", "rerun"].includes(s.action),
        ).length;
        toasts.success(
          `Resumed run ${runId} (attempt ${result.run.attempt}): ${executes} step${executes === 1 ? "" : "s"} to execute.`,
        );
      },
    );
  }, [client, resumeDialog, run, runId, toasts]);

  const newRun = (verb: string) => (created: { id: string }) => {
    toasts.success(`Started run ${created.id}, a ${verb} of ${runId}.`);
    navigate(runHref(created.id));
  };

  return {
    inFlight,
    resumeDialog,
    openResume: () => loadPlan("error"),
    chooseOnChange: (value: OnChange) => loadPlan(value),
    setSecret: (name: string, value: string) =>
      setResumeDialog((d) => d && { ...d, secrets: { ...d.secrets, [name]: value } }),
    closeResume: () => setResumeDialog(null),
    confirmResume,
    restart: () => void run("restart", () => client.restart(runId), newRun("restart")),
    rerun: (request: RerunRequest) => void run("rerun", () => client.rerun(runId, request), newRun("rerun")),
    cancel: () =>
      void run(
        "cancel",
        () => client.cancel(runId),
        () => toasts.success(`Cancelled run ${runId}. Resume it to continue.`),
      ),
    pause: () =>
      void run(
        "pause",
        () => client.pause(runId),
        () => toasts.success(`Paused run ${runId}. Running steps finish; resume to continue.`),
      ),
  };
}

export type RunActionsApi = ReturnType<typeof useRunActions>;

import { useCallback, useState } from "react";
import type { RerunSelection } from "../api/client";
import { useApi } from "../api/context";
import { messageOf } from "../api/errors";
import type { OnChange, ResumePlan } from "../api/types";
import { useToasts } from "../components/toasts";
import { navigate, runHref, runsHref } from "../router";
import {
  DEFAULT_RESUME_OPTIONS,
  type ResumeOptions,
  resumeBodyFields,
  resumePlanFields,
} from "./resume-options";

export type ActionName = "resume" | "restart" | "rerun" | "cancel" | "pause" | "delete";

export interface ResumeDialogState {
  /** Resume in place, or a rerun of the chosen steps as a new run. */
  kind: "resume" | "rerun";
  /** For a rerun: which steps execute again. */
  selection: RerunSelection | null;
  plan: ResumePlan | null;
  loading: boolean;
  error: string | null;
  onChange: OnChange;
  /** Resume only: retry failed, max attempts, reset attempts. */
  options: ResumeOptions;
  secrets: Record<string, string>;
}

/**
 * The run's actions against the API: one in flight at a time; success and error toasts carry the
 * API's own message; restart and rerun open the new run. Resume and every rerun first show the API's
 * plan in a dialog and start only once it is confirmed.
 */
export function useRunActions(runId: string, refresh: () => void, secretNames: readonly string[] = []) {
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
    (
      onChange: OnChange,
      rerun: RerunSelection | null,
      resumeOptions: ResumeOptions = DEFAULT_RESUME_OPTIONS,
    ) => {
      setResumeDialog((d) => ({
        kind: rerun ? "rerun" : "resume",
        selection: rerun,
        plan: d?.plan ?? null,
        loading: true,
        error: null,
        onChange,
        options: resumeOptions,
        secrets: d?.secrets ?? {},
      }));
      const options = onChange === "error" ? {} : { onChange };
      const plan: Promise<ResumePlan> = rerun
        ? client.rerunPlan(runId, rerun, options).then((p) => ({ ...p, secretsNeeded: [...secretNames] }))
        : client.resumePlan(runId, { ...options, ...resumePlanFields(resumeOptions) });
      plan
        .then((plan) => setResumeDialog((d) => d && { ...d, plan, loading: false }))
        .catch((e: unknown) => setResumeDialog((d) => d && { ...d, loading: false, error: messageOf(e) }));
    },
    [client, runId, secretNames],
  );

  // Not through `run`: its refresh would fetch the run just deleted (a 404 on the page being left).
  const remove = useCallback(async () => {
    setInFlight("delete");
    try {
      await client.deleteRun(runId);
      toasts.success(`Run ${runId} deleted`);
      navigate(runsHref());
    } catch (error) {
      toasts.error(messageOf(error));
      setInFlight(null);
      refresh();
    }
  }, [client, runId, toasts, refresh]);

  const newRun = useCallback(
    (verb: string) => (created: { id: string }) => {
      toasts.success(`Started run ${created.id}, a ${verb} of ${runId}.`);
      navigate(runHref(created.id));
    },
    [toasts, runId],
  );

  const confirmResume = useCallback(() => {
    const dialog = resumeDialog;
    setResumeDialog(null);
    if (!dialog) return;
    const body = {
      ...(dialog.onChange !== "error" ? { onChange: dialog.onChange } : {}),
      ...(dialog.selection ? {} : resumeBodyFields(dialog.options)),
      ...(Object.keys(dialog.secrets).length > 0 ? { secrets: dialog.secrets } : {}),
    };
    if (dialog.selection) {
      const request = { ...dialog.selection, ...body };
      void run("rerun", () => client.rerun(runId, request), newRun("rerun"));
      return;
    }
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
  }, [client, resumeDialog, run, runId, toasts, newRun]);

  return {
    inFlight,
    resumeDialog,
    openResume: () => loadPlan("error", null),
    /** Show what a rerun of these steps would do; it starts once confirmed. */
    openRerun: (selection: RerunSelection) => loadPlan("error", selection),
    chooseOnChange: (value: OnChange) =>
      loadPlan(value, resumeDialog?.selection ?? null, resumeDialog?.options),
    /** Resume's options changed: show the plan they give. */
    chooseOptions: (value: ResumeOptions) => {
      const samePlan =
        resumeDialog?.options &&
        JSON.stringify(resumePlanFields(resumeDialog.options)) === JSON.stringify(resumePlanFields(value));
      // An output being typed changes the request, not the plan: no new plan for each keystroke.
      if (samePlan) setResumeDialog((d) => d && { ...d, options: value });
      else loadPlan(resumeDialog?.onChange ?? "error", null, value);
    },
    setSecret: (name: string, value: string) =>
      setResumeDialog((d) => d && { ...d, secrets: { ...d.secrets, [name]: value } }),
    closeResume: () => setResumeDialog(null),
    confirmResume,
    restart: () => void run("restart", () => client.restart(runId), newRun("restart")),
    cancel: () =>
      void run(
        "cancel",
        () => client.cancel(runId),
        () => toasts.success(`Cancelled run ${runId}. Resume it to continue.`),
      ),
    /** Delete the finished run, then show the runs list. */
    remove: () => void remove(),
    pause: () =>
      void run(
        "pause",
        () => client.pause(runId),
        () => toasts.success(`Paused run ${runId}. Running steps finish; resume to continue.`),
      ),
  };
}

export type RunActionsApi = ReturnType<typeof useRunActions>;

import type { RunStatus, Step, StepStatus } from "../api/types";

/** What the UI shows for a step: its stored status, how it came to be (reused, skipped), or a wait. */
export type StepDisplayStatus = StepStatus | "reused" | "skipped" | "waiting";
export type DisplayStatus = RunStatus | StepDisplayStatus;

export type IconName =
  | "check"
  | "cross"
  | "spinner"
  | "pause"
  | "stop"
  | "clock"
  | "dash"
  | "reuse"
  | "skip"
  | "bolt";

interface StatusMeta {
  label: string;
  icon: IconName;
  /** Said to screen readers and shown as a tooltip: what the status means. */
  description: string;
}

export const STATUS_META: Record<DisplayStatus, StatusMeta> = {
  running: { label: "running", icon: "spinner", description: "executing now" },
  paused: { label: "paused", icon: "pause", description: "no new steps start until it is resumed" },
  succeeded: { label: "succeeded", icon: "check", description: "finished without error" },
  failed: { label: "failed", icon: "cross", description: "stopped by an error" },
  cancelled: { label: "cancelled", icon: "stop", description: "stopped on request" },
  interrupted: {
    label: "interrupted",
    icon: "bolt",
    description: "its worker stopped; resume it to continue",
  },
  pending: { label: "pending", icon: "clock", description: "waits for the steps it needs" },
  ready: { label: "ready", icon: "clock", description: "waits for a worker" },
  waiting: {
    label: "waiting",
    icon: "pause",
    description:
      "parked until its signal arrives, its sleep ends or its child run finishes; it holds no worker",
  },
  reused: { label: "reused", icon: "reuse", description: "output reused from an earlier run" },
  skipped: { label: "skipped", icon: "skip", description: "did not run: the run ended first" },
};

const LIVE: readonly RunStatus[] = ["running", "paused"];

/**
 * A step's status as shown: a succeeded step whose output came from another run is "reused", a step
 * parked on a signal, a sleep or a child run while its run goes on is "waiting", and a step that
 * never got to run because its run ended is "skipped".
 */
export function stepDisplayStatus(
  step: Pick<Step, "status" | "provenance" | "waiting">,
  runStatus: RunStatus,
): StepDisplayStatus {
  if (step.status === "succeeded" && step.provenance?.kind === "reused") return "reused";
  if (step.waiting && LIVE.includes(runStatus)) return "waiting";
  if ((step.status === "pending" || step.status === "ready") && !LIVE.includes(runStatus)) return "skipped";
  return step.status;
}

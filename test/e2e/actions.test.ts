import { describe } from "node:test";
import { bulkActions } from "./actions/bulk-actions.js";
import { deleteRun } from "./actions/delete-run.js";
import { liveRuns } from "./actions/live-runs.js";
import { readOnlyToken } from "./actions/read-only.js";
import { resumeOptions } from "./actions/resume-options.js";
import { resumeRerunRestart } from "./actions/resume-rerun-restart.js";
import { schedules } from "./actions/schedules.js";
import { signalForm } from "./actions/signal-form.js";
import { startForm } from "./actions/start-form.js";
import { storedVersions } from "./actions/stored-versions.js";
import { chromiumMissing, uiSession } from "./helpers/browser.js";

// What a person does in the web UI, in a real headless Chromium against `cairn serve` (built: `npm
// run build` first): resume, rerun, restart, cancel, delete, answer a signal, start a run, pause a
// schedule. The groups in actions/ share one server and one signed-in page, each starting on a fresh
// load; a read-only token gets a server of its own.
const missing = chromiumMissing();

describe("web UI: actions", { skip: missing ?? false }, () => {
  const ui = uiSession();
  resumeRerunRestart(ui);
  resumeOptions(ui);
  liveRuns(ui);
  bulkActions(ui);
  deleteRun(ui);
  signalForm(ui);
  startForm(ui);
  storedVersions(ui);
  schedules(ui);
  readOnlyToken();
});

import { describe } from "node:test";
import { chromiumMissing, uiSession } from "./helpers/browser.js";
import { bigGraphs } from "./run-page/big-graph.js";
import { childRuns } from "./run-page/child-runs.js";
import { runPageContents } from "./run-page/contents.js";
import { filesTab } from "./run-page/files-tab.js";
import { mapItems } from "./run-page/map-items.js";
import { recoveredStep } from "./run-page/recovered.js";
import { stepLogs } from "./run-page/step-logs.js";
import { timeline } from "./run-page/timeline.js";

// What a run's page shows, in a real headless Chromium against `cairn serve` (built: `npm run
// build` first). The groups in run-page/ share one server and one signed-in page, each starting on
// a fresh load; a recovered step needs a server of its own (its step kills the server).
const missing = chromiumMissing();

describe("web UI: the run page", { skip: missing ?? false }, () => {
  const ui = uiSession();
  runPageContents(ui);
  bigGraphs(ui);
  timeline(ui);
  stepLogs(ui);
  filesTab(ui);
  childRuns(ui);
  mapItems(ui);
  recoveredStep();
});

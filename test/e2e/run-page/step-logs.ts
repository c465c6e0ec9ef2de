import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { nodeStatus, runStatus } from "../helpers/ui.js";

// A step's logs in the step panel: they appear while the step runs, with their times, virtualised,
// and can be downloaded in full.

export function stepLogs(ui: UiSession): void {
  describe("web UI: step logs", { timeout: 120_000 }, () => {
    before(() => ui.fresh());

    test("a running step's 3,001 lines show while it runs, timed and virtualised; the rest follows; download has them all", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-logs");
      await page.goto(`${ui.server.url}/#/runs/${runId}?step=talk`);
      await page.getByTestId("step-panel").waitFor();
      const panel = page.getByTestId("step-panel");
      await panel
        .getByTestId("log-count")
        .filter({ hasText: /^3001 lines · following the running step$/ })
        .waitFor();
      await nodeStatus(page, "talk", "running");

      const first = panel.getByTestId("log-line").first();
      assert.match(await first.innerText(), /^\d\d:\d\d:\d\d\.\d{3}\s*#1\s*first line$/);
      const rendered = await panel.getByTestId("log-line").count();
      assert.ok(rendered > 0 && rendered < 100, `${rendered} of 3001 lines in the DOM (virtualised)`);

      fs.writeFileSync(path.join(ui.server.dir, `go-${runId}`), "");
      await runStatus(page, "succeeded");
      await panel
        .getByTestId("log-count")
        .filter({ hasText: /^3002 lines$/ })
        .waitFor();

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        panel.getByTestId("download-logs").click(),
      ]);
      assert.equal(download.suggestedFilename(), `${runId}-talk.log`);
      const text = fs
        .readFileSync((await download.path())!, "utf8")
        .trimEnd()
        .split("\n");
      assert.equal(text.length, 3002);
      assert.match(text[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z #1 stdout first line$/);
      assert.match(text[3000]!, / #1 stdout row 3000$/);
      assert.match(text[3001]!, / #1 stderr after go$/);
    });
  });
}

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { currentRunId, runStatus, toast } from "../helpers/ui.js";

// The start form's optional run id: the run gets it; the same id again opens that run and starts
// nothing; an id another workflow's run has is refused in the form.

export function startForm(ui: UiSession): void {
  describe("web UI: starting a run with a run id", { timeout: 120_000 }, () => {
    before(() => ui.fresh());

    test("a chosen id, the same id again, and an id another workflow has", async () => {
      const { page } = ui.browser;
      const start = async (workflow: string, runId: string) => {
        await page.goto(`${ui.server.url}/#/workflows/${workflow}`);
        await page.getByTestId("run-id-input").fill(runId);
        await page.getByTestId("start-run").click();
      };

      await start("ui-chain", "release-7");
      await toast(page, "success", /Started run release-7 of ui-chain/);
      await page.getByTestId("run-page").waitFor();
      assert.equal(currentRunId(page), "release-7");
      await runStatus(page, "succeeded");

      await start("ui-chain", "release-7");
      await toast(page, "success", /Run release-7 already existed: nothing started/);
      await page.locator('[data-testid="run-page"][data-status="succeeded"]').waitFor();
      assert.equal(currentRunId(page), "release-7");
      assert.equal(ui.server.executed("release-7").length, 4, "its four steps ran once each, not twice");

      await start("ui-fan", "release-7");
      const problems = page.getByTestId("input-problems");
      await problems.waitFor();
      assert.match(await problems.innerText(), /Run id "release-7" is already taken/);
      assert.match(page.url(), /#\/workflows\/ui-fan/, "the form stays open");
    });
  });
}

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { openRun, runStatus } from "../helpers/ui.js";

// A step that starts a child run: the caller's lineage panel lists the child, the child's names its caller.

export function childRuns(ui: UiSession): void {
  describe("web UI: child runs in the lineage panel", { timeout: 120_000 }, () => {
    before(() => ui.fresh());

    test("the caller lists its child run with its status and step; the child links back to its caller", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-caller");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded");
      const child = `${runId}.delegate.1`;
      const listed = page.getByTestId("lineage-child-run");
      await listed.waitFor();
      assert.match(
        await listed.innerText(),
        new RegExp(
          `succeeded[\\s\\S]*ui-chain[\\s\\S]*${child.replaceAll(".", "\\.")}[\\s\\S]*from step delegate`,
        ),
      );
      await listed.getByRole("link").click();
      const caller = page.getByTestId("lineage-caller");
      await caller.waitFor();
      assert.match(await caller.innerText(), new RegExp(`step delegate of ${runId}`));
      assert.deepEqual(ui.server.executed(child).sort(), ["a", "b", "c", "d"]);

      // The runs list tells the child from a run started by hand, with a link to its caller.
      await page.goto(`${ui.server.url}/#/runs`);
      const lineage = page.locator(`[data-testid="run-row"][data-run-id="${child}"] .col-lineage`);
      await lineage.getByTestId("lineage-marker").waitFor();
      assert.match(await lineage.innerText(), new RegExp(`child of ${runId}`));
      assert.equal(await lineage.getByRole("link").getAttribute("href"), `#/runs/${runId}`);
      assert.equal(
        await page.locator(`[data-testid="run-row"][data-run-id="${runId}"] .col-lineage`).innerText(),
        "",
        "the caller was started by hand",
      );
    });
  });
}

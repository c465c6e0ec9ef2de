import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { openRun, runStatus, toast } from "../helpers/ui.js";

// Deleting a run from its page in a real headless Chromium against `cairn serve`: only a finished run
// offers it, a confirmation says what is lost, and the run is gone from the list and the API.

export function deleteRun(ui: UiSession): void {
  describe("web UI: delete a run", { timeout: 120_000 }, () => {
    before(() => ui.fresh());

    test("a failed run is deleted after the confirmation: the list no longer has it, the API answers 404", async () => {
      const { page } = ui.browser;
      const kept = await ui.server.startRun("ui-resume");
      const runId = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");

      await page.getByTestId("delete").click();
      const dialog = page.getByTestId("delete-dialog");
      assert.match(await dialog.innerText(), new RegExp(`Delete run ${runId}\\?`));
      assert.match(await dialog.innerText(), /rows[\s\S]*working directory[\s\S]*cannot be restored/);
      // Cancel keeps the run.
      await dialog.getByRole("button", { name: "Cancel" }).click();
      assert.equal((await ui.server.api("GET", `/api/runs/${runId}`)).status, 200);

      await page.getByTestId("delete").click();
      await page.getByTestId("delete-dialog").getByTestId("confirm-action").click();
      await toast(page, "success", new RegExp(`Run ${runId} deleted`));
      await page.waitForURL((url) => url.hash.startsWith("#/runs") && !url.hash.includes(runId));
      await page.locator(`[data-testid="run-row"][data-run-id="${kept}"]`).waitFor();
      assert.equal(await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).count(), 0);
      assert.equal((await ui.server.api("GET", `/api/runs/${runId}`)).status, 404);
    });

    test("a running run offers no Delete", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-approve");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "running");
      await page.getByTestId("cancel").waitFor();
      assert.equal(await page.getByTestId("delete").count(), 0);
    });

    test("an API refusal shows its message in an error toast and the run stays", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");
      await page.getByTestId("delete").click();
      // Someone else deletes it first: the UI's request gets the API's 404.
      const other = await fetch(`${ui.server.url}/api/runs/${runId}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${ui.server.token}` },
      });
      assert.equal(other.status, 200);
      await page.getByTestId("delete-dialog").getByTestId("confirm-action").click();
      await toast(page, "error", new RegExp(`Run "${runId}" does not exist`));
      assert.match(page.url(), new RegExp(`#/runs/${runId}`), "the page stays on the run");
      assert.deepEqual(ui.browser.pageErrors, []);
    });
  });
}

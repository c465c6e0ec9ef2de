import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { openRun, planRows, runStatus, toast } from "../helpers/ui.js";

// The resume dialog's options (retry failed, max attempts, reset attempts): each change shows the
// plan it gives, and the resume is sent with them.

export function resumeOptions(ui: UiSession): void {
  describe("web UI: resume options", { timeout: 120_000 }, () => {
    before(() => ui.fresh());

    test("each option changes the plan shown; the resume carries them", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");
      await page.getByTestId("resume").click();
      const dialog = page.getByTestId("plan-dialog");
      const flaky = dialog.locator('[data-testid="plan-row"][data-step-id="flaky"]');
      assert.equal((await planRows(page)).flaky, "retry");

      await dialog.getByTestId("option-retry-failed").selectOption("keep");
      await dialog.locator('[data-testid="plan-row"][data-step-id="flaky"][data-action="blocked"]').waitFor();
      assert.match(await flaky.innerText(), /failed and retryFailed is off/);

      await dialog.getByTestId("option-retry-failed").selectOption("default");
      await dialog.getByTestId("option-max-attempts").fill("1");
      await dialog.locator('[data-testid="plan-row"][data-step-id="flaky"][data-action="blocked"]').waitFor();
      assert.match(await flaky.innerText(), /retry budget exhausted: 1 of 1 attempts used/);

      await dialog.getByTestId("option-reset-attempts").check();
      await dialog.locator('[data-testid="plan-row"][data-step-id="flaky"][data-action="retry"]').waitFor();

      fs.writeFileSync(path.join(ui.server.dir, `fixed-${runId}`), "");
      const sent = page.waitForRequest(
        (r) => r.method() === "POST" && r.url().endsWith(`/api/runs/${runId}/resume`),
      );
      await dialog.getByTestId("confirm-resume").click();
      assert.deepEqual((await sent).postDataJSON(), { maxAttempts: 1, resetAttempts: true });
      await toast(page, "success", /Resumed run/);
      await runStatus(page, "succeeded");
      assert.deepEqual(ui.server.executed(runId), ["prepare", "flaky", "flaky", "publish"]);
      const history = await page.getByTestId("history-attempt").allInnerTexts();
      assert.match(history[1]!, /maxAttempts: 1/);
      assert.match(history[1]!, /resetAttempts: true/);
    });

    test("mark a failed step done with an output: the plan says so, bad JSON is refused, the run continues past it", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");
      await page.getByTestId("resume").click();
      const dialog = page.getByTestId("plan-dialog");
      assert.equal((await planRows(page)).flaky, "retry");
      const choices = await dialog.getByTestId("option-mark-done").locator("option").allInnerTexts();
      assert.deepEqual(choices, ["none", "flaky", "publish"], "only steps that did not succeed");

      await dialog.getByTestId("option-mark-done").selectOption("flaky");
      await dialog
        .locator('[data-testid="plan-row"][data-step-id="flaky"][data-action="mark-done"]')
        .waitFor();
      const output = dialog.getByTestId("option-mark-done-output");
      await output.fill("{bad");
      assert.match(await dialog.getByTestId("option-problem").innerText(), /not valid JSON/);
      assert.equal(await dialog.getByTestId("confirm-resume").isDisabled(), true);
      await output.fill('{"status": "done by hand"}');
      assert.equal(await dialog.getByTestId("option-problem").count(), 0);

      const sent = page.waitForRequest(
        (r) => r.method() === "POST" && r.url().endsWith(`/api/runs/${runId}/resume`),
      );
      await dialog.getByTestId("confirm-resume").click();
      assert.deepEqual((await sent).postDataJSON(), {
        markDone: { stepId: "flaky", output: { status: "done by hand" } },
      });
      await runStatus(page, "succeeded");
      assert.deepEqual(ui.server.executed(runId), ["prepare", "flaky", "publish"], "flaky did not run again");
      const step = await ui.server.api<{ output: unknown }>("GET", `/api/runs/${runId}/steps/flaky`);
      assert.deepEqual(step.body.output, { status: "done by hand" });
    });
  });
}

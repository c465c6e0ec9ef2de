import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { until } from "../../helpers/temp.js";
import type { UiSession } from "../helpers/browser.js";
import { toast } from "../helpers/ui.js";

// Runs selected in the runs list of a real headless Chromium against `cairn serve`, resumed in bulk:
// the combined plan first (per run, and totals), then one refused run does not stop the others.

export function bulkActions(ui: UiSession): void {
  describe("web UI: bulk actions on selected runs", { timeout: 180_000 }, () => {
    before(() => ui.fresh());

    const status = async (id: string) =>
      (await ui.server.api<{ status: string }>("GET", `/api/runs/${encodeURIComponent(id)}`)).body.status;

    test("select two failed runs and a succeeded one, see the combined resume plan, apply it: two resume, one is refused", async () => {
      const { page } = ui.browser;
      const failed = [await ui.server.startRun("ui-resume"), await ui.server.startRun("ui-resume")];
      const untouched = await ui.server.startRun("ui-resume");
      const done = await ui.server.startRun("ui-chain");
      for (const id of [...failed, untouched])
        await until(async () => (await status(id)) === "failed", `${id} to fail`);
      await until(async () => (await status(done)) === "succeeded", `${done} to succeed`);
      for (const id of failed) fs.writeFileSync(path.join(ui.server.dir, `fixed-${id}`), "");

      await page.goto(`${ui.server.url}/#/runs`);
      for (const id of [...failed, done])
        await page.locator(`[data-testid="run-row"][data-run-id="${id}"]`).getByTestId("run-select").check();
      assert.equal(await page.getByTestId("bulk-count").innerText(), "3 selected");

      await page.getByTestId("bulk-resume").click();
      const dialog = page.getByTestId("bulk-dialog");
      await dialog.getByTestId("bulk-totals").waitFor();
      assert.equal(
        await dialog.getByTestId("bulk-totals").innerText(),
        "2 of 3 runs; 4 steps to execute, 2 kept; 1 refused.",
      );
      const rows = dialog.getByTestId("bulk-plan-row");
      assert.equal(await rows.count(), 3);
      const refused = dialog.locator(`[data-testid="bulk-plan-row"][data-run-id="${done}"]`);
      assert.equal(await refused.getAttribute("data-refused"), "true");
      assert.match(await refused.innerText(), /succeeded/);
      for (const id of failed)
        assert.match(
          await dialog.locator(`[data-testid="bulk-plan-row"][data-run-id="${id}"]`).innerText(),
          /keep 1, retry 1, run 1/,
        );
      assert.deepEqual(
        ui.server.executed(failed[0]!),
        ["prepare", "flaky"],
        "nothing ran before the confirmation",
      );

      await dialog.getByTestId("bulk-confirm").click();
      await toast(page, "success", /2 runs resumed, 1 refused/);
      for (const id of failed)
        await until(async () => (await status(id)) === "succeeded", `${id} to succeed`);
      assert.deepEqual(
        ui.server.executed(failed[0]!),
        ["prepare", "flaky", "flaky", "publish"],
        "prepare was kept",
      );
      assert.equal(await status(untouched), "failed", "a run that was not selected is untouched");
      assert.equal(await page.getByTestId("bulk-bar").count(), 0, "the selection is cleared");

      // "Rerun failed steps" on the run left failed: its plan first, then a new run that keeps prepare.
      await page
        .locator(`[data-testid="run-row"][data-run-id="${untouched}"]`)
        .getByTestId("run-select")
        .check();
      await page.getByTestId("bulk-rerun").click();
      const rerun = page.getByTestId("bulk-dialog");
      await rerun.getByTestId("bulk-totals").waitFor();
      assert.equal(
        await rerun.getByTestId("bulk-totals").innerText(),
        "1 of 1 runs; 2 steps to execute, 1 kept.",
      );
      assert.match(
        await rerun.locator(`[data-testid="bulk-plan-row"][data-run-id="${untouched}"]`).innerText(),
        /rerun 2, keep 1/,
      );
      assert.deepEqual(
        ui.server.executed(untouched),
        ["prepare", "flaky"],
        "nothing ran before the confirmation",
      );
      await rerun.getByTestId("bulk-confirm").click();
      await toast(page, "success", /1 run rerun/);
      const { body } = await ui.server.api<{ runs: Array<{ id: string; parentRunId: string | null }> }>(
        "GET",
        "/api/runs?limit=50",
      );
      const made = body.runs.find((r) => r.parentRunId === untouched);
      assert.ok(made, "a new run made from the selected one");
      await until(async () => ui.server.executed(made.id).includes("flaky"), "the rerun to run flaky");
      assert.equal(ui.server.executed(made.id).includes("prepare"), false, "prepare was reused");
    });
  });
}

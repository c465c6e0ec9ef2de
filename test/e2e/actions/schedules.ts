import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { toast } from "../helpers/ui.js";

// A workflow's schedules on the workflows page: when it ticks, its next run, and Pause / Resume
// through the API a client would call.

interface Schedule {
  workflowId: string;
  name: string;
  paused: boolean;
  nextTick: number | null;
}

export function schedules(ui: UiSession): void {
  describe("web UI: schedules", { timeout: 120_000 }, () => {
    before(() => ui.fresh());
    const schedule = async () =>
      (await ui.server.api<{ schedules: Schedule[] }>("GET", "/api/schedules")).body.schedules.find(
        (s) => s.workflowId === "ui-scheduled",
      );

    test("the next tick is shown; Pause and Resume change the schedule", async () => {
      const { page } = ui.browser;
      await page.goto(`${ui.server.url}/#/workflows/ui-scheduled`);
      const row = page.locator('[data-testid="schedule-row"][data-name="yearly"]');
      await row.waitFor();
      const text = await row.innerText();
      assert.match(text, /0 6 1 1 \* \(Europe\/Paris\)/);
      assert.match(text, /none yet/);
      const before = await schedule();
      assert.equal(before?.paused, false);
      const year = new Date(before!.nextTick!).getUTCFullYear();
      assert.match(await row.getByTestId("schedule-next").innerText(), new RegExp(`${year}`));

      await row.getByRole("button", { name: "Pause" }).click();
      await toast(page, "success", /Schedule yearly paused/);
      await page.locator('[data-testid="schedule-row"][data-paused="true"]').waitFor();
      assert.equal(await row.getByTestId("schedule-next").innerText(), "paused");
      assert.equal((await schedule())?.paused, true, "paused in the store, not only on the page");

      await row.getByRole("button", { name: "Resume" }).click();
      await page.locator('[data-testid="schedule-row"][data-paused="false"]').waitFor();
      assert.equal((await schedule())?.paused, false);

      // A workflow without schedules shows no schedules panel.
      await page.goto(`${ui.server.url}/#/workflows/ui-chain`);
      await page.getByRole("heading", { name: "ui-chain" }).waitFor();
      assert.equal(await page.getByTestId("schedules").count(), 0);
    });
  });
}

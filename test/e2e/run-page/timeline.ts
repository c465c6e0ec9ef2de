import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { until } from "../../helpers/temp.js";
import type { UiSession } from "../helpers/browser.js";
import { nodeStatus, openRun, runStatus } from "../helpers/ui.js";

// The run page's timeline: natural order of rows, a time axis, the wait for a resume as a gap, and
// a running step's elapsed time.
const ARTIFACTS = path.resolve("test-artifacts/e2e");

/** The slice of the DOM the in-page callback uses (this program is typechecked without the DOM). */
interface TickElement {
  getBoundingClientRect(): { x: number; width: number };
}

export function timeline(ui: UiSession): void {
  describe("web UI: the timeline", { timeout: 180_000 }, () => {
    before(() => ui.fresh());

    test("rows come in natural order (fetch-2 before fetch-10) with distinct names, under a labelled time axis", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-fan");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded");
      await page.locator('[data-testid="timeline-row"][data-step-id="merge"]').waitFor();
      const rows = await page
        .getByTestId("timeline-row")
        .evaluateAll((els) =>
          els.map((el) => (el as unknown as { dataset: { stepId: string } }).dataset.stepId),
        );
      assert.deepEqual(rows, ["start", "fetch-1", "fetch-2", "fetch-10", "merge"]);
      // Steps that share a label are told apart by their ids.
      assert.deepEqual(await page.getByTestId("timeline-step-name").allInnerTexts(), [
        "start",
        "Fetch page (fetch-1)",
        "Fetch page (fetch-2)",
        "Fetch page (fetch-10)",
        "merge",
      ]);
      const ticks = await page.getByTestId("timeline-tick").allInnerTexts();
      assert.ok(ticks.length >= 2, `ticks: ${ticks.join(", ")}`);
      assert.equal(ticks[0], "0 s");

      // On a phone the axis is a fifth as wide: fewer ticks, and no label over another.
      try {
        await page.setViewportSize({ width: 390, height: 844 });
        await until(async () => {
          // All the ticks' boxes in one read: the axis redraws with fewer ticks as the window narrows,
          // so a tick counted in one call may be gone by the next.
          const boxes = await page.getByTestId("timeline-tick").evaluateAll((els) =>
            els.map((el) => {
              const { x, width } = (el as unknown as TickElement).getBoundingClientRect();
              return { x, width };
            }),
          );
          return (
            boxes.length >= 2 &&
            boxes.every((b, i) => i === 0 || b.x >= boxes[i - 1]!.x + boxes[i - 1]!.width)
          );
        }, "the phone's tick labels side by side, none over another");
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });

    test("the wait before a resume is a gap of its own; no attempt's bar spans it", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");
      const failedAt = Date.now();
      await until(() => Date.now() - failedAt > 1500, "a visible wait before the resume", 5000);
      fs.writeFileSync(path.join(ui.server.dir, `fixed-${runId}`), "");
      assert.equal((await ui.server.api("POST", `/api/runs/${runId}/resume`, {})).status, 200);
      await runStatus(page, "succeeded");
      await nodeStatus(page, "publish", "succeeded");
      const gap = page.getByTestId("timeline-gap");
      await gap.waitFor();
      assert.equal(await gap.count(), 1);
      const history = await ui.server.api<{ attempts: Array<{ at: number; endedAt: number | null }> }>(
        "GET",
        `/api/runs/${runId}/history`,
      );
      const [first, second] = history.body.attempts;
      assert.ok(Number(await gap.getAttribute("data-ms")) >= second!.at - first!.endedAt!);
      assert.match(await gap.innerText(), /^waiting \d/);
      // Each attempt of the flaky step is its own short bar: "attempt 1 failed after …; attempt 2 succeeded after …".
      const flaky = await page
        .locator('[data-testid="timeline-row"][data-step-id="flaky"] .sr-only')
        .innerText();
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "timeline-resumed.png"), fullPage: true });
      assert.match(flaky, /attempt 1 failed after [\d.]+ (ms|s); attempt 2 succeeded after [\d.]+ (ms|s)$/);
    });

    test("a running step shows its elapsed time, and it grows", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-long");
      await openRun(page, ui.server.url, runId);
      await nodeStatus(page, "long", "running");
      const elapsed = page.locator(
        '[data-testid="timeline-row"][data-step-id="long"] [data-testid="timeline-elapsed"]',
      );
      await elapsed.waitFor();
      const first = await elapsed.innerText();
      assert.match(first, /^running [\d.]+ (ms|s)$/);
      await until(async () => (await elapsed.innerText()) !== first, "the elapsed time to tick", 10_000);
      assert.equal((await ui.server.api("POST", `/api/runs/${runId}/cancel`, {})).status, 200);
      await runStatus(page, "cancelled");
      assert.equal(await elapsed.count(), 0, "a cancelled step is no longer running");
    });
  });
}

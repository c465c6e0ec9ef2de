import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { graphNode, nextRun, nodeStatus, openRun, planRows, runStatus } from "../helpers/ui.js";

// A map step in a real headless Chromium against `cairn serve`: its node's item counts, the item
// grid with its filter and one item's detail, and "Rerun failed items" with its plan first.
const ARTIFACTS = path.resolve("test-artifacts/e2e");

export function mapItems(ui: UiSession): void {
  describe("web UI: map items", { timeout: 180_000 }, () => {
    before(() => ui.fresh());

    test("a failed map's items: counts on the node, a grid filtered to the failed ones, one item's error and log, rerun of the failed items", async () => {
      const { page } = ui.browser;
      const source = await ui.server.startRun("ui-map");
      await openRun(page, ui.server.url, source);
      await runStatus(page, "failed");
      assert.match(await nodeStatus(page, "fetch", "failed"), /27✓ 3✗/);
      // The node holds its name, its id, its status and the items' bar: the name is not squeezed.
      const title = graphNode(page, "fetch").locator(".step-node-title");
      const fits = await title.evaluate((el) => {
        const box = el as unknown as { scrollHeight: number; clientHeight: number };
        return box.clientHeight >= box.scrollHeight;
      });
      assert.ok(fits, "the map step's name is drawn whole");
      const [titleBox, nodeBox] = [await title.boundingBox(), await graphNode(page, "fetch").boundingBox()];
      assert.ok(titleBox!.y >= nodeBox!.y, "the name starts inside its node");
      assert.equal(await title.innerText(), "Fetch pages");

      await graphNode(page, "fetch").getByRole("button").click();
      const grid = page.getByTestId("item-grid");
      assert.equal(await grid.getByTestId("item-counts").innerText(), "27 succeeded · 3 failed");
      await grid.locator('[data-testid="item-cell"]').nth(29).waitFor();
      assert.equal(await grid.getByTestId("item-cell").count(), 30);
      assert.equal(await grid.locator('[data-testid="item-cell"][data-status="failed"]').count(), 3);

      await grid.getByTestId("item-filter-failed").click();
      await grid
        .getByTestId("item-loaded")
        .filter({ hasText: /^3 of 3 shown/ })
        .waitFor();
      const failedKeys = await grid
        .getByTestId("item-cell")
        .evaluateAll((cells) => cells.map((c) => c.getAttribute("data-key")));
      assert.deepEqual(failedKeys, ["p7", "p19", "p23"]);

      await grid.locator('[data-testid="item-cell"][data-key="p19"]').click();
      const detail = grid.getByTestId("item-detail");
      assert.equal(await detail.getByTestId("item-status").innerText(), "failed");
      assert.match(await detail.getByTestId("item-error").innerText(), /page p19: 503 from origin/);
      assert.match(await detail.getByTestId("item-logs").innerText(), /page p19: 503 from origin/);
      await grid.getByTestId("item-filter-all").click();
      await grid
        .getByTestId("item-loaded")
        .filter({ hasText: /^30 of 30 shown/ })
        .waitFor();
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "map-items-1280x800.png") });

      fs.writeFileSync(path.join(ui.server.dir, "fixed-ui-map"), "");
      await grid.getByTestId("rerun-failed-items").click();
      const dialog = page.getByTestId("rerun-plan-dialog");
      assert.deepEqual(await planRows(page, "rerun-plan-dialog"), {
        list: "keep",
        fetch: "rerun",
        report: "run",
      });
      assert.match(
        await dialog.locator('[data-step-id="fetch"]').innerText(),
        /map: 27 succeeded reused, 3 failed to retry/,
      );
      const before = ui.server.executed(source).length;
      await dialog.getByTestId("confirm-rerun").click();
      const rerun = await nextRun(page, source);
      await runStatus(page, "succeeded");
      assert.equal(ui.server.executed(source).length, before, "nothing ran again in the source run");
      assert.deepEqual(
        ui.server.executed(rerun).sort(),
        ["fetch p19", "fetch p23", "fetch p7", "report"],
        "only the failed items ran again",
      );
      assert.match(await nodeStatus(page, "fetch", "succeeded"), /30✓/);
      await graphNode(page, "fetch").getByRole("button").click();
      await page.getByTestId("item-grid").locator('[data-testid="item-cell"][data-key="p1"]').click();
      assert.match(await page.getByTestId("item-detail").innerText(), new RegExp(`Reused from\\s+${source}`));
    });
  });
}

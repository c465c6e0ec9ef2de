import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { until } from "../../helpers/temp.js";
import type { UiSession } from "../helpers/browser.js";
import { isAlive } from "../helpers/process.js";
import { currentRunId, graphNode, nodeStatus, openRun, planRows, runStatus, toast } from "../helpers/ui.js";

// The web UI on live runs: the list follows runs over SSE, cancel stops a running shell step's
// processes and resume continues the run, a stale page gets the API's 409 in a toast, and a
// 500-step run stays usable.

export function liveRuns(ui: UiSession): void {
  describe("web UI: live runs", { timeout: 240_000 }, () => {
    before(() => ui.fresh());

    test("the runs list shows a new run and its status changes without a reload", async () => {
      const { page } = ui.browser;
      await page.goto(`${ui.server.url}/#/runs`);
      await page.getByTestId("live-indicator").and(page.locator('[data-state="open"]')).waitFor();
      await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
      const runId = await ui.server.startRun("ui-resume");
      const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
      await row.waitFor();
      await page.locator(`[data-testid="run-row"][data-run-id="${runId}"][data-status="failed"]`).waitFor();
      assert.match(await row.innerText(), /failed[\s\S]*ui-resume/);
      assert.equal(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded), true);
    });

    test("cancel a run in a long shell step: it is cancelled and its process is gone; resume finishes it", async () => {
      const { page } = ui.browser;
      // Started from the workflows page, with the input editor.
      await page.goto(`${ui.server.url}/#/workflows/ui-long`);
      const editor = page.getByTestId("input-editor");
      await editor.fill("{ not json");
      await page.getByTestId("start-run").click();
      assert.match(await page.getByTestId("input-problems").innerText(), /Not valid JSON/);
      await editor.fill('{"reason": "e2e"}');
      await page.getByTestId("start-run").click();
      await page.getByTestId("run-page").waitFor();
      const runId = currentRunId(page);

      const pidFile = path.join(ui.server.dir, `long-${runId}.pid`);
      const pid = Number(
        await until(
          () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim(),
          "the long step's pid",
          20_000,
        ),
      );
      assert.ok(isAlive(pid), "the long step's process runs");
      await nodeStatus(page, "long", "running");
      assert.equal(await page.getByTestId("pause").isDisabled(), false);

      await page.getByTestId("cancel").click();
      await page.getByTestId("cancel-dialog").getByTestId("confirm-action").click();
      await toast(page, "success", /Cancelled run/);
      await runStatus(page, "cancelled");
      await until(() => !isAlive(pid), `process ${pid} to be gone`, 15_000);
      await nodeStatus(page, "long", "cancelled");

      await page.getByTestId("resume").click();
      const plan = await planRows(page);
      assert.deepEqual(plan, { quick: "keep", long: "run", "wrap-up": "run" });
      assert.match(
        await page.getByTestId("plan-dialog").locator('[data-step-id="long"]').innerText(),
        /was cancelled; it runs again/,
      );
      await page.getByTestId("confirm-resume").click();
      await runStatus(page, "succeeded");
      assert.deepEqual(ui.server.executed(runId), ["quick", "long", "long", "wrap-up"]);
    });

    test("resuming from a stale page shows the API's 409 message in a toast", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");
      await page.getByTestId("resume").click();
      assert.equal((await planRows(page)).flaky, "retry");

      // Meanwhile someone else resumes the run and it succeeds.
      fs.writeFileSync(path.join(ui.server.dir, `fixed-${runId}`), "");
      assert.equal((await ui.server.api("POST", `/api/runs/${runId}/resume`, {})).status, 200);
      await until(
        async () =>
          (await ui.server.api<{ status: string }>("GET", `/api/runs/${runId}`)).body.status === "succeeded",
        "the other resume to finish",
        20_000,
      );

      await page.getByTestId("confirm-resume").click();
      const message = await toast(page, "error", /already succeeded/);
      assert.match(message, new RegExp(`Run "${runId}" already succeeded, so there is nothing to resume`));
      await runStatus(page, "succeeded");
      assert.equal(await page.getByTestId("resume").getAttribute("aria-disabled"), "true");
      assert.deepEqual(
        ui.server.executed(runId),
        ["prepare", "flaky", "flaky", "publish"],
        "resumed once, by the other client",
      );
    });

    test("a 500-step run renders, lists only what is in view, and answers clicks", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-large");
      const startedAt = Date.now();
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded", 60_000);
      await graphNode(page, "s00-00").waitFor();
      const renderedMs = Date.now() - startedAt;
      const nodes = await page.getByTestId("graph-node").count();
      const rows = await page.getByTestId("timeline-row").count();
      assert.ok(nodes > 0 && nodes <= 500, `graph nodes in the DOM: ${nodes}`);
      assert.ok(rows > 0 && rows < 60, `timeline rows in the DOM: ${rows} of 500 (virtualised)`);

      // Scrolling the step list brings the last steps in; clicking one opens its panel.
      const clickedAt = Date.now();
      await page.locator(".timeline .virtual-list").evaluate((el) => el.scrollTo(0, el.scrollHeight));
      const last = page.locator('[data-testid="timeline-row"][data-step-id="s24-19"]');
      await last.getByRole("button").click();
      await page.getByTestId("step-panel").getByRole("heading", { name: "s24-19" }).waitFor();
      const clickMs = Date.now() - clickedAt;
      assert.ok(clickMs < 5000, `the panel opened ${clickMs} ms after the click`);
      process.stderr.write(
        `  500-step run: page settled in ${renderedMs} ms (run included); panel in ${clickMs} ms\n`,
      );

      assert.deepEqual(ui.browser.external, [], "no request left the server under test");
      assert.deepEqual(ui.browser.pageErrors, []);
    });
  });
}

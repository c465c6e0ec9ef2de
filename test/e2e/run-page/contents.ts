import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import { until } from "../../helpers/temp.js";
import { launchBrowser, signIn, type UiSession } from "../helpers/browser.js";
import { nextRun, nodeStatus, openRun, runStatus } from "../helpers/ui.js";

// What the run page says about a run: its input and output, every failed step, its name in the tab,
// its active and wall time, and whether it is live.

export function runPageContents(ui: UiSession): void {
  describe("web UI: the run page's contents", { timeout: 240_000 }, () => {
    before(() => ui.fresh());

    test("the run's input and output are shown, and the tab is named after the run", async () => {
      const { page } = ui.browser;
      const started = await ui.server.api<{ id: string }>("POST", "/api/workflows/ui-io/runs", {
        input: { topic: "tides" },
      });
      assert.equal(started.status, 201);
      const runId = started.body.id;
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded");
      await page.getByTestId("run-output").getByText('"greeting": "hello tides"').waitFor();
      assert.match(await page.getByTestId("run-input").innerText(), /"topic": "tides"/);
      assert.equal(await page.title(), `${runId} · ui-io — Cairn`);
      // A finished run does not claim to be live.
      assert.equal(await page.getByTestId("live-indicator").count(), 0);
      await page.goto(`${ui.server.url}/#/runs`);
      await until(async () => (await page.title()) === "Cairn", "the list's own tab title", 10_000);
    });

    test("a run of a workflow stored as data shows its version; a registered one shows none", async () => {
      const { page } = ui.browser;
      const definition = {
        id: "ui-stored",
        steps: [{ id: "write", uses: "file.write", with: { path: "note.txt", content: "stored" } }],
      };
      const stored = await ui.server.api<{ version: string }>("PUT", "/api/workflows/ui-stored", definition);
      assert.equal(stored.status, 201);
      const started = await ui.server.api<{ id: string }>("POST", "/api/workflows/ui-stored/runs", {});
      assert.equal(started.status, 201);
      await openRun(page, ui.server.url, started.body.id);
      await runStatus(page, "succeeded");
      assert.equal(await page.getByTestId("run-version").innerText(), `version ${stored.body.version}`);
      const registered = await ui.server.startRun("ui-io");
      await openRun(page, ui.server.url, registered);
      await page.locator(".run-id", { hasText: registered }).waitFor();
      await runStatus(page, "succeeded");
      assert.equal(await page.getByTestId("run-version").count(), 0);
    });

    test("two failed parallel branches: the error banner names both, and each opens its step", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-parallel");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");
      const banner = page.getByTestId("error-banner");
      await banner.locator('[data-testid="failed-step"][data-step-id="right"]').waitFor();
      const lines = await banner.getByTestId("failed-step").allInnerTexts();
      assert.equal(lines.length, 2);
      assert.match(lines.join("\n"), /left: .*quota exceeded|left: Command exited/);
      assert.match(await banner.innerText(), /2 steps failed/);
      assert.deepEqual(
        await banner
          .getByTestId("failed-step")
          .evaluateAll((els) =>
            els.map((el) => (el as unknown as { dataset: { stepId: string } }).dataset.stepId),
          ),
        ["left", "right"],
      );
      await banner.locator('[data-step-id="right"]').getByRole("button").click();
      await page.getByTestId("step-panel").getByRole("heading", { name: "right" }).waitFor();
    });

    test("a resumed run: active time leaves out the wait for the resume, wall time counts it; finish time and zone shown", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");
      assert.equal(await page.getByTestId("run-finished").count(), 1, "a failed run has finished");
      // The run waits for a person before it is resumed.
      const failedAt = Date.now();
      await until(() => Date.now() - failedAt > 1500, "a visible wait before the resume", 5000);
      fs.writeFileSync(path.join(ui.server.dir, `fixed-${runId}`), "");
      assert.equal((await ui.server.api("POST", `/api/runs/${runId}/resume`, {})).status, 200);
      await runStatus(page, "succeeded");
      await nodeStatus(page, "publish", "succeeded");

      const history = await ui.server.api<{ attempts: Array<{ at: number; endedAt: number | null }> }>(
        "GET",
        `/api/runs/${runId}/history`,
      );
      const [first, second] = history.body.attempts;
      const waitMs = second!.at - first!.endedAt!;
      assert.ok(waitMs > 1000, `the run waited ${waitMs} ms for its resume`);
      const ms = async (id: string) => Number(await page.getByTestId(id).getAttribute("data-ms"));
      await until(async () => (await ms("run-active")) > 0, "the active time", 10_000);
      const active = await ms("run-active");
      const wall = await ms("run-wall");
      assert.ok(
        wall - active >= waitMs,
        `wall ${wall} ms - active ${active} ms leaves out the ${waitMs} ms wait`,
      );
      assert.match(await page.getByTestId("run-active").innerText(), /^active \d/);
      assert.match(await page.getByTestId("run-wall").innerText(), /^wall \d/);
      assert.match(
        await page.getByTestId("run-finished").innerText(),
        /^finished \d{4}-\d\d-\d\d \d\d:\d\d:\d\d/,
      );
      const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
      assert.equal(await page.getByTestId("run-timezone").innerText(), `times in ${zone}`);
    });

    test("a running run is live and its running step's elapsed time ticks", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-long");
      await openRun(page, ui.server.url, runId);
      await nodeStatus(page, "long", "running");
      await page.getByTestId("live-indicator").waitFor();
      assert.match(await page.getByTestId("run-wall").innerText(), /so far$/);
      await page.locator('[data-testid="graph-node"][data-step-id="long"] button').click();
      const duration = page.getByTestId("step-duration");
      await duration.filter({ hasText: /so far$/ }).waitFor();
      const before = await duration.innerText();
      await page.waitForFunction(
        (was) =>
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string } | null };
            }
          ).document.querySelector('[data-testid="step-duration"]')?.textContent !== was,
        before,
      );
      assert.match(await duration.innerText(), /so far$/);
      assert.equal((await ui.server.api("POST", `/api/runs/${runId}/cancel`, {})).status, 200);
      await runStatus(page, "cancelled");
      assert.equal(await page.getByTestId("live-indicator").count(), 0);
    });

    test("a dialog does not come back on back and forward, nor after the run it started opened", async () => {
      const { page } = ui.browser;
      const open = () => page.locator("dialog[open]").count();
      const runId = await ui.server.startRun("ui-chain");
      await page.goto(`${ui.server.url}/#/runs`);
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded");
      await page.getByTestId("restart").click();
      await page.getByTestId("restart-dialog").waitFor();
      await page.goBack();
      await page.getByTestId("run-row").first().waitFor();
      assert.equal(await open(), 0);
      await page.goForward();
      await runStatus(page, "succeeded");
      assert.equal(await open(), 0, "forward shows the run, not the dialog left open there");

      await page.getByTestId("restart").click();
      await page.getByTestId("restart-dialog").getByTestId("confirm-action").click();
      const child = await nextRun(page, runId);
      assert.equal(await open(), 0);
      await page.goBack();
      await page.locator(`[data-testid="run-page"] .run-id`, { hasText: runId }).waitFor();
      assert.equal(await open(), 0, "back on the parent: its confirmed dialog stays closed");
      await page.goForward();
      await page.locator(`[data-testid="run-page"] .run-id`, { hasText: child }).waitFor();
      assert.equal(await open(), 0);
    });

    test("no graph watermark; on a phone, opening a node scrolls its panel into view", async () => {
      const runId = await ui.server.startRun("ui-chain");
      await openRun(ui.browser.page, ui.server.url, runId);
      await runStatus(ui.browser.page, "succeeded");
      await ui.browser.page.locator(".react-flow__renderer").waitFor();
      assert.equal(await ui.browser.page.locator(".react-flow__attribution").count(), 0);

      const phone = await launchBrowser(ui.server.url, { width: 390, height: 844 });
      try {
        const { page } = phone;
        await signIn(page, ui.server.url, ui.server.token);
        await openRun(page, ui.server.url, runId);
        await runStatus(page, "succeeded");
        // The graph is fitted again while the page settles (its box changes size): click once it is still.
        const node = page.locator('[data-testid="graph-node"][data-step-id="c"] button');
        let last = "";
        await until(
          async () => {
            const box = JSON.stringify(await node.boundingBox());
            const still = box === last;
            last = box;
            if (!still) await new Promise((resolve) => setTimeout(resolve, 300));
            return still;
          },
          "the graph to stop moving",
          10_000,
        );
        await node.click();
        const panel = page.getByTestId("step-panel");
        await panel.getByRole("heading", { name: "c", exact: true }).waitFor();
        await until(
          async () => {
            const box = await panel.boundingBox();
            return box !== null && box.y > -2 && box.y < 844 / 2;
          },
          "the step panel scrolled into view",
          10_000,
        );
      } finally {
        await phone.close();
      }
    });
  });
}

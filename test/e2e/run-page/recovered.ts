import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Browser, launchBrowser, signIn } from "../helpers/browser.js";
import { type Server, startServer } from "../helpers/server.js";
import { nodeStatus, openRun, runStatus } from "../helpers/ui.js";

// A step whose worker died (SIGKILL to `cairn serve`) and that recovery took over is tagged
// "recovered" on the run page: on its graph node, its timeline row and in its panel.

export function recoveredStep(): void {
  describe("web UI: a recovered step", { timeout: 120_000 }, () => {
    let server: Server;
    let browser: Browser;

    before(async () => {
      server = await startServer();
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    test("the step the dead worker was running is labelled recovered; the others are not", async () => {
      const exited = server.exited();
      // The step kills the server, which may happen before the server answers the start: the run is
      // recorded before its steps run, so its id is fixed here and a lost answer is no failure.
      const runId = "recovered-1";
      await server.api("POST", "/api/workflows/ui-crash/runs", { input: {}, runId }).catch(() => undefined);
      await exited;
      const url = await server.restart();
      browser = await launchBrowser(url);
      const { page } = browser;
      await signIn(page, url, server.token);
      await openRun(page, url, runId);
      await runStatus(page, "succeeded", 60_000);
      assert.match(await nodeStatus(page, "victim", "succeeded"), /succeeded.*recovered/);
      assert.doesNotMatch(await nodeStatus(page, "before", "succeeded"), /recovered/);
      const row = (id: string) => page.locator(`[data-testid="timeline-row"][data-step-id="${id}"]`);
      assert.equal(await row("victim").getByTestId("recovered-tag").count(), 1);
      assert.equal(await row("before").getByTestId("recovered-tag").count(), 0);
      await page.locator('[data-testid="graph-node"][data-step-id="victim"] button').click();
      assert.match(await page.getByTestId("step-attempts").innerText(), /1 crash recovery/);
    });
  });
}

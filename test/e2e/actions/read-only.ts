import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Browser, launchBrowser, signIn } from "../helpers/browser.js";
import { type Server, startServer } from "../helpers/server.js";
import { openRun, runStatus } from "../helpers/ui.js";

// A read-only token in the web UI: every action is disabled and says why; nothing is sent that the
// API would refuse with a 403.
const REASON =
  /Your token is read-only: it can see runs but not start, resume, restart, rerun, pause, cancel or delete them/;

export function readOnlyToken(): void {
  describe("web UI: a read-only token", { timeout: 120_000 }, () => {
    let server: Server;
    let browser: Browser;
    const posts: string[] = [];

    before(async () => {
      server = await startServer();
      browser = await launchBrowser(server.url);
      await signIn(browser.page, server.url, await server.readOnlyToken());
      browser.page.on("request", (r) => {
        if (r.method() !== "GET") posts.push(`${r.method()} ${r.url()}`);
      });
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    test("a failed run's actions are disabled with the reason; clicking one opens nothing", async () => {
      const { page } = browser;
      const runId = await server.startRun("ui-resume");
      await openRun(page, server.url, runId);
      await runStatus(page, "failed");
      assert.match((await page.getByTestId("read-only-tag").getAttribute("title")) ?? "", REASON);
      const resume = page.getByTestId("resume");
      await page.locator('[data-testid="resume"][aria-disabled="true"]').waitFor();
      for (const id of ["resume", "restart", "rerun-failed", "cancel", "pause", "delete"]) {
        const button = page.getByTestId(id);
        assert.equal(await button.getAttribute("aria-disabled"), "true", `${id} is disabled`);
        const tip = await button.getAttribute("aria-describedby");
        assert.match(await page.locator(`[id="${tip}"]`).innerText(), REASON, `${id} says why`);
      }
      assert.equal(await page.getByTestId("rerun-menu-toggle").isDisabled(), true);
      // aria-disabled buttons stay focusable; a click (as a user makes it) must start nothing.
      await resume.dispatchEvent("click");
      await page.getByTestId("restart").dispatchEvent("click");
      await page.getByTestId("delete").dispatchEvent("click");
      assert.equal(await page.getByRole("dialog").count(), 0, "no confirmation that would end in a 403");
      assert.deepEqual(posts, []);

      // The runs list's bulk actions: even their dry run is a POST the API would refuse.
      await page.goto(`${server.url}/#/runs`);
      await page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`).getByTestId("run-select").check();
      for (const id of ["bulk-resume", "bulk-rerun", "bulk-restart", "bulk-cancel"]) {
        const button = page.getByTestId(id);
        assert.equal(await button.getAttribute("aria-disabled"), "true", `${id} is disabled`);
        const tip = await button.getAttribute("aria-describedby");
        assert.match(await page.locator(`[id="${tip}"]`).innerText(), REASON, `${id} says why`);
        await button.dispatchEvent("click");
      }
      assert.equal(await page.getByTestId("bulk-dialog").count(), 0, "no plan asked for");

      // A map step's "Rerun failed items" likewise.
      const map = await server.startRun("ui-map");
      await page.goto(`${server.url}/#/runs/${map}?step=fetch`);
      await runStatus(page, "failed");
      const items = page.getByTestId("rerun-failed-items");
      await page.locator('[data-testid="rerun-failed-items"][aria-disabled="true"]').waitFor();
      assert.match((await items.getAttribute("title")) ?? "", REASON);
      await items.dispatchEvent("click");
      assert.equal(await page.getByTestId("rerun-plan-dialog").count(), 0);
      assert.deepEqual(posts, []);
    });

    test("the start form says why it cannot start a run", async () => {
      const { page } = browser;
      await page.goto(`${server.url}/#/workflows/ui-chain`);
      assert.match(await page.getByTestId("start-run-refusal").innerText(), REASON);
      assert.equal(await page.getByTestId("start-run").getAttribute("aria-disabled"), "true");
      await page.getByTestId("start-run").dispatchEvent("click");
      assert.equal(await page.getByTestId("run-page").count(), 0);
      assert.deepEqual(posts, []);
    });
  });
}

import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import type { RunRecord } from "../../../src/core/types.js";
import { openStore } from "../../../src/store/open-store.js";
import { runRecord } from "../../helpers/records.js";
import { until } from "../../helpers/temp.js";
import { type Browser, launchBrowser, signIn } from "../helpers/browser.js";
import { type Server, startServer } from "../helpers/server.js";

// The runs list's search box, status picker and date range in a real headless Chromium against
// `cairn serve`: each narrows the list the server returns (the request carries the filter), and a
// reload keeps them (they live in the URL).

/** Noon of a day of May 2026 in this machine's time zone, which the browser shares. */
const mayNoon = (day: number) => new Date(2026, 4, day, 12).getTime();

const RUNS: Array<[string, RunRecord["status"], number]> = [
  ["alpha-1", "succeeded", 1],
  ["alpha-2", "failed", 2],
  ["beta-2", "cancelled", 2],
  ["alpha-3", "interrupted", 3],
  ["beta-3", "failed", 3],
];

export function filters(): void {
  describe("web UI: filtering the runs list", { timeout: 180_000 }, () => {
    let server: Server;
    let browser: Browser;
    const requests: URL[] = [];

    before(async () => {
      server = await startServer();
      // Written straight to the server's store, so that the runs have the ids and days chosen.
      const store = await openStore(path.join(server.dir, "cairn.db"));
      try {
        await store.transaction(async (tx) => {
          for (const [id, status, day] of RUNS) {
            const at = mayNoon(day);
            await tx.insertRun(
              runRecord(id, { workflowId: "ui-chain", status, createdAt: at, updatedAt: at, finishedAt: at }),
            );
          }
        });
      } finally {
        await store.close();
      }
      browser = await launchBrowser(server.url);
      await signIn(browser.page, server.url, server.token);
      browser.page.on("request", (r) => {
        const url = new URL(r.url());
        if (url.pathname === "/api/runs") requests.push(url);
      });
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    /** Waits until the list shows exactly these runs, in this order. */
    const showsRuns = async (page: Page, ids: string[]) => {
      let shown: string[] = [];
      await until(
        async () => {
          if (
            !(await page
              .locator(".list-foot")
              .getByText(/^\d+ runs?$/)
              .isVisible())
          )
            return false;
          shown = await page
            .getByTestId("run-row")
            .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run-id")));
          return JSON.stringify(shown) === JSON.stringify(ids);
        },
        `the list to show ${ids.join(", ")} (it shows ${shown.join(", ")})`,
      );
    };
    /** The filter the newest list request asked the server for. */
    const lastQuery = () => Object.fromEntries(requests.at(-1)!.searchParams);

    test("the search box finds runs by the start of their id, and a reload keeps the search", async () => {
      const { page } = browser;
      await page.goto(`${server.url}/#/runs`);
      await showsRuns(page, ["beta-3", "alpha-3", "beta-2", "alpha-2", "alpha-1"]);

      await page.getByTestId("id-search").fill("alpha");
      await page.getByTestId("id-search").press("Enter");
      await showsRuns(page, ["alpha-3", "alpha-2", "alpha-1"]);
      assert.equal(lastQuery().idPrefix, "alpha", "the server filters");
      assert.match(page.url(), /#\/runs\?id=alpha$/);

      await page.getByTestId("id-search").fill("alpha-2");
      await showsRuns(page, ["alpha-2"]);
      await page.getByTestId("id-search").fill("lpha");
      await showsRuns(page, []);
      await page.getByText("No runs match these filters.").waitFor();

      await page.getByTestId("id-search").fill("beta");
      await showsRuns(page, ["beta-3", "beta-2"]);
      await page.reload();
      await showsRuns(page, ["beta-3", "beta-2"]);
      assert.equal(await page.getByTestId("id-search").inputValue(), "beta");
    });

    test("several statuses at once, then a date range, together; a reload keeps them all", async () => {
      const { page } = browser;
      await page.goto(`${server.url}/#/runs`);
      await showsRuns(page, ["beta-3", "alpha-3", "beta-2", "alpha-2", "alpha-1"]);

      await page.getByTestId("status-filter").locator("summary").click();
      await page.getByTestId("status-failed").check();
      await showsRuns(page, ["beta-3", "alpha-2"]);
      await page.getByTestId("status-interrupted").check();
      await showsRuns(page, ["beta-3", "alpha-3", "alpha-2"]);
      assert.equal(lastQuery().status, "failed,interrupted", "the server filters");
      assert.match(
        await page.getByTestId("status-filter").locator("summary").innerText(),
        /failed, interrupted/,
      );

      await page.getByTestId("from-filter").fill("2026-05-02");
      await showsRuns(page, ["beta-3", "alpha-3", "alpha-2"]);
      await page.getByTestId("to-filter").fill("2026-05-02");
      await showsRuns(page, ["alpha-2"]);
      const query = lastQuery();
      assert.equal(
        new Date(query.createdAfter!).getTime(),
        new Date(2026, 4, 2).getTime(),
        "from the day's start",
      );
      assert.equal(
        new Date(query.createdBefore!).getTime(),
        new Date(2026, 4, 3).getTime(),
        "to the day's end",
      );

      await page.getByTestId("status-failed").uncheck();
      await showsRuns(page, []);
      await page.getByTestId("status-cancelled").check();
      await showsRuns(page, ["beta-2"]);
      assert.match(page.url(), /status=cancelled%2Cinterrupted&from=2026-05-02&to=2026-05-02$/);

      await page.reload();
      await showsRuns(page, ["beta-2"]);
      assert.equal(await page.getByTestId("from-filter").inputValue(), "2026-05-02");
      assert.equal(await page.getByTestId("to-filter").inputValue(), "2026-05-02");
      await page.getByTestId("status-filter").locator("summary").click();
      assert.equal(await page.getByTestId("status-cancelled").isChecked(), true);
      assert.equal(await page.getByTestId("status-interrupted").isChecked(), true);
      assert.equal(await page.getByTestId("status-failed").isChecked(), false);

      await page.getByTestId("from-filter").fill("2026-05-03");
      await page.getByRole("alert").getByText("The start date is after the end date.").waitFor();

      await page.getByRole("button", { name: "Clear filters" }).click();
      await showsRuns(page, ["beta-3", "alpha-3", "beta-2", "alpha-2", "alpha-1"]);
      assert.deepEqual(lastQuery(), { limit: "50" });
      assert.deepEqual(browser.pageErrors, []);
    });
  });
}

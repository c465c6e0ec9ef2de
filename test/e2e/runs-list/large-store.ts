import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { NewEvent, RunRecord } from "../../../src/core/types.js";
import { openStore } from "../../../src/store/open-store.js";
import { runRecord } from "../../helpers/records.js";
import { type Browser, launchBrowser, signIn } from "../helpers/browser.js";
import { type Server, startServer } from "../helpers/server.js";

// The runs list in a real headless Chromium against `cairn serve` with 10,000 finished runs (30,000
// events) in its store: it loads one page and follows events from now, never the history.
const RUNS = 10_000;

export function largeStore(): void {
  describe("web UI: the runs list of a large store", { timeout: 180_000 }, () => {
    let server: Server;
    let browser: Browser;

    before(async () => {
      server = await startServer();
      // Written straight to the server's store (as a long history would be), from another connection.
      const store = await openStore(path.join(server.dir, "cairn.db"));
      try {
        await store.transaction(async (tx) => {
          const at = Date.now() - 3_600_000;
          for (let i = 0; i < RUNS; i++) {
            const id = `old-${String(i).padStart(5, "0")}`;
            const times = { createdAt: at + i, updatedAt: at + i, finishedAt: at + i };
            const run: RunRecord = runRecord(id, { workflowId: "ui-chain", status: "succeeded", ...times });
            await tx.insertRun(run);
            const event = (type: NewEvent["type"]): NewEvent => ({
              runId: id,
              tenant: "default",
              stepId: null,
              type,
              at: at + i,
              data: null,
            });
            await tx.appendEvents([event("run.created"), event("step.succeeded"), event("run.succeeded")]);
          }
        });
      } finally {
        await store.close();
      }
      browser = await launchBrowser(server.url);
      await signIn(browser.page, server.url, server.token);
    });
    after(async () => {
      await browser?.close();
      await server?.stop();
    });

    test("one page of runs, the event stream from the newest event on, and a new run appears live", async () => {
      const { page } = browser;
      // Away from the list signing in left open, so that every request below is this visit's own.
      await page.goto("about:blank");
      const streams: Array<{ url: string; lastEventId: string | undefined }> = [];
      page.on("request", (r) => {
        if (new URL(r.url()).pathname === "/api/events")
          streams.push({ url: r.url(), lastEventId: r.headers()["last-event-id"] });
      });
      const pages: string[] = [];
      page.on("response", (r) => {
        if (new URL(r.url()).pathname === "/api/runs") pages.push(r.url());
      });
      const firstStream = page.waitForRequest((r) => new URL(r.url()).pathname === "/api/events");
      await page.goto(`${server.url}/#/runs`);
      const rows = page.getByTestId("run-row");
      await page.locator(".list-foot").getByText("50 runs shown").waitFor();
      assert.match(await rows.first().innerText(), /old-09999/);

      const { body } = await server.api<{ eventSeq: number }>("GET", "/api/runs?limit=1");
      assert.ok(body.eventSeq >= RUNS * 3);
      const stream = await firstStream;
      assert.equal(
        stream.headers()["last-event-id"],
        String(body.eventSeq),
        "it starts after the newest event",
      );

      const started = await server.startRun("ui-chain");
      await page.locator(`[data-testid="run-row"][data-run-id="${started}"]`).waitFor();
      assert.equal(await rows.first().getAttribute("data-run-id"), started, "the new run on top");
      assert.equal(streams.length, 1, "one event stream, never reopened from the start");
      assert.equal(pages.length, 1, "one request for the list: its first page");
    });
  });
}

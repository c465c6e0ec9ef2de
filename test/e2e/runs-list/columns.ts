import assert from "node:assert/strict";
import path from "node:path";
import { before, describe, test } from "node:test";
import type { Locator, Page } from "playwright-core";
import { openStore } from "../../../src/store/open-store.js";
import { runRecord } from "../../helpers/records.js";
import { until } from "../../helpers/temp.js";
import type { UiSession } from "../helpers/browser.js";
import { overflowing } from "../helpers/ui.js";

// The runs list's Ended and Error columns in a real headless Chromium against `cairn serve`, with
// real runs: one that succeeded, one whose step failed, and one waiting for a signal; and two written
// to the store as a long history would hold them: a failure with a several-line error, an interrupt.

interface ApiRun {
  id: string;
  status: string;
  finishedAt: number | null;
  error: { message: string } | null;
}

/** The run page's own format, in this machine's time zone (which the browser shares). */
function localTime(at: number): string {
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

const row = (page: Page, runId: string): Locator =>
  page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
const cell = async (page: Page, runId: string, column: string): Promise<string> =>
  (await row(page, runId).locator(`.col-${column}`).innerText()).replace(/\s+/g, " ").trim();

export function runsColumns(ui: UiSession): void {
  describe("web UI: the runs list's end time and error", { timeout: 180_000 }, () => {
    before(() => ui.fresh());
    const runs = { succeeded: "", failed: "", waiting: "" };
    const api: Record<string, ApiRun> = {};

    test("a failed run shows its error, a finished one its end time, a waiting one neither", async () => {
      runs.succeeded = await ui.server.startRun("ui-chain");
      runs.failed = await ui.server.startRun("ui-resume");
      runs.waiting = await ui.server.startRun("ui-approve");
      for (const [expected, runId] of Object.entries(runs)) {
        await until(async () => {
          const { body } = await ui.server.api<ApiRun>("GET", `/api/runs/${runId}`);
          api[runId] = body;
          if (expected === "waiting")
            return ui.server.executed(runId).includes("draft") && body.status === "running";
          return body.status === expected;
        }, `run ${runId} to be ${expected}`);
      }
      const multiLine = 'Step "load" failed: schema mismatch in row 12\n  expected: number\n  got: "n/a"';
      const store = await openStore(path.join(ui.server.dir, "cairn.db"));
      try {
        await store.transaction(async (tx) => {
          const at = Date.now();
          const times = { createdAt: at, updatedAt: at + 1_000 };
          await tx.insertRun(
            runRecord("run-multi-line", {
              status: "failed",
              ...times,
              finishedAt: at + 1_000,
              error: { message: multiLine },
            }),
          );
          // A workflow id of 14 characters and a run of 13 min 20 s: both shown whole at 1280 px.
          await tx.insertRun(
            runRecord("run-long-names", {
              workflowId: "nightly-report",
              status: "succeeded",
              createdAt: at - 800_000,
              updatedAt: at,
              finishedAt: at,
            }),
          );
          await tx.insertRun(
            runRecord("run-interrupted", {
              status: "interrupted",
              ...times,
              reason: 'step "pay" is not idempotent',
            }),
          );
        });
      } finally {
        await store.close();
      }
      const { page } = ui.browser;
      await page.goto(`${ui.server.url}/#/runs`);
      await page.reload();
      for (const runId of [...Object.values(runs), "run-multi-line", "run-interrupted"])
        await row(page, runId).waitFor();
      const head = await page.locator(".runs-head").innerText();
      assert.match(head, /Started\s+Ended\s+Duration\s+Attempts\s+Lineage\s+Error/);

      const failed = api[runs.failed]!;
      assert.match(failed.error!.message, /^Step "flaky" failed: .*connection refused by flaky\.example/);
      assert.equal(await cell(page, runs.failed, "error"), `error ${failed.error!.message}`);
      assert.equal(
        await row(page, runs.failed).locator(".col-error").getAttribute("title"),
        failed.error!.message,
      );
      assert.equal(await cell(page, runs.failed, "ended"), `ended ${localTime(failed.finishedAt!)}`);

      const succeeded = api[runs.succeeded]!;
      assert.equal(await cell(page, runs.succeeded, "ended"), `ended ${localTime(succeeded.finishedAt!)}`);
      assert.equal(await cell(page, runs.succeeded, "error"), "");

      assert.equal(api[runs.waiting]!.finishedAt, null);
      assert.equal(await cell(page, runs.waiting, "ended"), "", "a running run has no end time");
      assert.equal(await cell(page, runs.waiting, "error"), "");

      // Only the first line of an error is shown; the tooltip has all of it.
      assert.equal(
        await cell(page, "run-multi-line", "error"),
        'error Step "load" failed: schema mismatch in row 12',
      );
      assert.equal(await row(page, "run-multi-line").locator(".col-error").getAttribute("title"), multiLine);
      // An interrupted run: why, and no end (a resume continues it).
      assert.equal(await cell(page, "run-interrupted", "error"), 'error step "pay" is not idempotent');
      assert.equal(await cell(page, "run-interrupted", "ended"), "");

      // In a 1280-px window only the error (and a long lineage) may be cut: ids, times and durations
      // are whole.
      await row(page, "run-long-names").waitFor();
      assert.equal(await cell(page, "run-long-names", "duration"), "took 13 min 20 s");
      for (const runId of [...Object.values(runs), "run-long-names"])
        for (const column of ["run", "workflow", "started", "ended", "duration", "attempts"]) {
          const box = await row(page, runId)
            .locator(`.col-${column}`)
            .evaluate((el) => {
              const e = el as unknown as { scrollWidth: number; clientWidth: number };
              return { scroll: e.scrollWidth, client: e.clientWidth };
            });
          assert.ok(
            box.scroll <= box.client,
            `${runId}'s ${column} is whole (${box.scroll} px in ${box.client})`,
          );
        }
    });

    test("a long error is cut at the cell's edge, the whole text in its tooltip; on a phone it has its own line", async () => {
      const { page } = ui.browser;
      const error = row(page, runs.failed).locator(".col-error");
      const box = await error.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      assert.ok(box.scroll > box.client, `the error is cut (${box.scroll} px of text in ${box.client} px)`);

      try {
        await page.setViewportSize({ width: 390, height: 844 });
        await row(page, runs.failed).waitFor();
        assert.deepEqual(await overflowing(page), [], "nothing sticks out sideways");
        assert.equal(await page.locator(".runs-head").isVisible(), false, "cards, no column headers");
        // The error's line lies below the start time's, inside the card.
        const card = (await row(page, runs.failed).boundingBox())!;
        const started = (await row(page, runs.failed).locator(".col-started").boundingBox())!;
        const errorBox = (await error.boundingBox())!;
        assert.ok(errorBox.y >= started.y + started.height - 1, "the error is on a line of its own");
        assert.ok(errorBox.y + errorBox.height <= card.y + card.height + 1, "inside its card");
        assert.ok(await error.isVisible());
        assert.match(await cell(page, runs.failed, "ended"), /^ended \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        // The run's id and its attempts are whole on the card, next to the widest badge too.
        for (const runId of [runs.failed, runs.succeeded])
          for (const column of ["run", "attempts"]) {
            const box = await row(page, runId)
              .locator(`.col-${column}`)
              .evaluate((el) => {
                const e = el as unknown as { scrollWidth: number; clientWidth: number };
                return { scroll: e.scrollWidth, client: e.clientWidth };
              });
            assert.ok(box.scroll <= box.client, `${runId}'s ${column} is whole on a phone`);
          }
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    });
  });
}

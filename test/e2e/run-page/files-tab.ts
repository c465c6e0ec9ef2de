import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { openRun, runStatus } from "../helpers/ui.js";

// The run page's Files tab: the run directory's files with their declared-output state, a preview
// for each kind (CSV, JSON, image, text; HTML as source, never run), and a download of the bytes.

export function filesTab(ui: UiSession): void {
  describe("web UI: a run's files", { timeout: 120_000 }, () => {
    before(() => ui.fresh());

    test("lists the files, previews each kind and downloads one", async () => {
      const { page } = ui.browser;
      const dialogs: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const runId = await ui.server.startRun("ui-files");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded");
      await page.getByRole("tab", { name: "Files" }).click();
      const rows = page.getByTestId("file-row");
      await rows.first().waitFor();
      const paths = await rows.evaluateAll((els) => els.map((el) => el.getAttribute("data-path")));
      assert.deepEqual([...paths].sort(), [
        "big.log",
        "blob.bin",
        "chart.png",
        "data.csv",
        "out/summary.txt",
        "page.html",
        "report.json",
      ]);
      const row = (p: string) => page.locator(`[data-testid="file-row"][data-path="${p}"]`);
      assert.equal(await row("report.json").getByTestId("declared").getAttribute("data-state"), "matches");
      assert.match(
        await row("out/summary.txt").getByTestId("declared").innerText(),
        /write: changed since the step/,
      );
      assert.equal(await row("data.csv").getByTestId("declared").count(), 0);

      const preview = page.getByTestId("file-preview");
      const open = async (p: string) => {
        await row(p).getByRole("button", { name: p }).click();
        await preview.getByRole("heading", { name: p }).waitFor();
      };
      await open("data.csv");
      const csv = preview.getByTestId("preview-csv");
      // The preview's heading shows before the file's bytes arrive: wait for the table itself.
      await csv.locator("th").first().waitFor();
      assert.deepEqual(await csv.locator("th").allInnerTexts(), ["name", "note"]);
      assert.deepEqual(await csv.locator("td").allTextContents(), [
        "ada",
        "likes, commas",
        "grace",
        "two\nlines",
      ]);

      await open("report.json");
      assert.match(await preview.getByTestId("preview-json").innerText(), /"rows": 2,\s+"ok": true/);

      await open("chart.png");
      const image = preview.getByTestId("preview-image");
      await image.waitFor();
      await page.waitForFunction(
        () =>
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { naturalWidth: number } | null };
            }
          ).document.querySelector('[data-testid="preview-image"]')?.naturalWidth === 1,
      );

      await open("page.html");
      assert.equal(await preview.getByTestId("preview-text").innerText(), "<script>alert(1)</script>\n");
      await open("blob.bin");
      assert.match(
        await preview.getByTestId("preview-none").innerText(),
        /No preview for application\/octet-stream/,
      );
      await open("big.log");
      assert.match(
        await preview.getByTestId("preview-none").innerText(),
        /Too large to preview \(over 2\.0 MiB\)/,
      );

      await open("out/summary.txt");
      assert.equal(await preview.getByTestId("preview-text").innerText(), "first line\nedited later\n");
      const [saved] = await Promise.all([
        page.waitForEvent("download"),
        preview.getByTestId("file-download").click(),
      ]);
      assert.equal(saved.suggestedFilename(), "summary.txt");
      assert.equal(fs.readFileSync(await saved.path(), "utf8"), "first line\nedited later\n");

      assert.deepEqual(dialogs, [], "the HTML file's script never ran");
      assert.deepEqual(ui.browser.pageErrors, []);
      assert.deepEqual(ui.browser.external, []);
    });

    test("a run whose directory is gone says so instead of listing nothing", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-files");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded");
      const runDir = (fs.readdirSync(ui.server.dir, { recursive: true }) as string[]).find((p) =>
        p.endsWith(path.join("runs", runId)),
      );
      assert.ok(runDir, "the run's directory is in the server's data directory");
      fs.rmSync(path.join(ui.server.dir, runDir), { recursive: true });
      await page.getByRole("tab", { name: "Files" }).click();
      await page.getByTestId("files-absent").waitFor();
      assert.equal(await page.getByTestId("file-row").count(), 0);
    });
  });
}

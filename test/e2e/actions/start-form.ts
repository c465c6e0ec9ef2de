import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { currentRunId, runStatus, toast } from "../helpers/ui.js";

// The start form's optional run id: the run gets it; the same id again opens that run and starts
// nothing; an id another workflow's run has is refused in the form. A workflow with an input schema
// gets a form of its properties.

export function startForm(ui: UiSession): void {
  describe("web UI: starting a run with a run id", { timeout: 120_000 }, () => {
    before(() => ui.fresh());

    test("a chosen id, the same id again, and an id another workflow has", async () => {
      const { page } = ui.browser;
      const start = async (workflow: string, runId: string) => {
        await page.goto(`${ui.server.url}/#/workflows/${workflow}`);
        await page.getByTestId("run-id-input").fill(runId);
        await page.getByTestId("start-run").click();
      };

      await start("ui-chain", "release-7");
      await toast(page, "success", /Started run release-7 of ui-chain/);
      await page.getByTestId("run-page").waitFor();
      assert.equal(currentRunId(page), "release-7");
      await runStatus(page, "succeeded");

      await start("ui-chain", "release-7");
      await toast(page, "success", /Run release-7 already existed: nothing started/);
      await page.locator('[data-testid="run-page"][data-status="succeeded"]').waitFor();
      assert.equal(currentRunId(page), "release-7");
      assert.equal(ui.server.executed("release-7").length, 4, "its four steps ran once each, not twice");

      await start("ui-fan", "release-7");
      const problems = page.getByTestId("input-problems");
      await problems.waitFor();
      assert.match(await problems.innerText(), /Run id "release-7" is already taken/);
      assert.match(page.url(), /#\/workflows\/ui-fan/, "the form stays open");
    });

    test("a form built from the input schema: its fields, its defaults, the JSON it makes; JSON back to the form", async () => {
      const { page } = ui.browser;
      await page.goto(`${ui.server.url}/#/workflows/ui-form`);
      const fields = page.getByTestId("input-fields");
      await fields.waitFor();
      assert.deepEqual(
        (await fields.locator("label").allInnerTexts()).map((l) => l.trim()),
        ["Topic", "pages (optional)", "deep (optional)", "region (optional)"],
      );
      assert.equal(await fields.getByLabel("pages (optional)").inputValue(), "2", "the schema's default");
      await fields.getByLabel("pages (optional)").fill("3");
      await fields.getByLabel("Topic").fill("tides");
      await fields.getByLabel("deep (optional)").check();
      await fields.getByLabel("region (optional)").selectOption("eu");

      // The same input as JSON, edited there and back in the form.
      await page.getByTestId("input-mode-json").click();
      const editor = page.getByTestId("input-editor");
      assert.deepEqual(JSON.parse(await editor.inputValue()), {
        topic: "tides",
        pages: 3,
        deep: true,
        region: "eu",
      });
      await editor.fill('{"topic": "tides", "pages": 4, "deep": true, "region": "us"}');
      await page.getByTestId("input-mode-form").click();
      assert.equal(await fields.getByLabel("pages (optional)").inputValue(), "4");
      assert.equal(await fields.getByLabel("region (optional)").inputValue(), "us");

      await page.getByTestId("start-run").click();
      await toast(page, "success", /Started run .* of ui-form/);
      await runStatus(page, "succeeded");
      const { body } = await ui.server.api<{ input: unknown }>("GET", `/api/runs/${currentRunId(page)}`);
      assert.deepEqual(body.input, { topic: "tides", pages: 4, deep: true, region: "us" });
    });
  });
}

import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import { graphNode, nextRun, openRun, planRows, runStatus } from "../helpers/ui.js";

// A workflow stored as data in the web UI: the workflows page lists it with its newest version and
// starts it, and the rerun dialog of a run of an older version names the version the new run uses
// and the steps that changed between the two.

const definition = (report: string) => ({
  id: "ui-versions",
  steps: [
    { id: "write", uses: "file.write", with: { path: "note.txt", content: "note" } },
    { id: "report", needs: [], uses: "file.write", with: { path: "report.txt", content: report } },
  ],
});

export function storedVersions(ui: UiSession): void {
  describe("web UI: stored workflow versions", { timeout: 240_000 }, () => {
    before(() => ui.fresh());

    test("a rerun of a version-1 run names version 2, lists the changed step, and runs version 2", async () => {
      const { page } = ui.browser;
      const put = (report: string) =>
        ui.server.api<{ version: string }>("PUT", "/api/workflows/ui-versions", definition(report));
      const v1 = await put("first");
      assert.equal(v1.status, 201);
      const started = await ui.server.api<{ id: string }>("POST", "/api/workflows/ui-versions/runs", {});
      assert.equal(started.status, 201);
      const source = started.body.id;
      await openRun(page, ui.server.url, source);
      await runStatus(page, "succeeded");
      const v2 = await put("second");
      assert.equal(v2.status, 201);
      assert.notEqual(v2.body.version, v1.body.version);

      await openRun(page, ui.server.url, source);
      assert.equal(await page.getByTestId("run-version").innerText(), `version ${v1.body.version}`);
      await page.getByTestId("rerun-menu-toggle").click();
      await page.getByRole("menuitem", { name: "Rerun from selected nodes…" }).click();
      await page.getByTestId("pick-banner").waitFor();
      await graphNode(page, "write").getByRole("button").click();
      await page.getByTestId("pick-confirm").click();
      const dialog = page.getByTestId("rerun-plan-dialog");
      const versions = dialog.getByTestId("plan-versions");
      await versions.waitFor();
      assert.match(
        await versions.innerText(),
        new RegExp(`uses the newest version ${v2.body.version}; this run used version ${v1.body.version}`),
      );
      assert.match(
        await versions.locator('[data-step-id="report"]').innerText(),
        /report \(keep\): succeeded; output reused/,
      );
      assert.match(await dialog.getByTestId("plan-refusal").innerText(), /definition changed .* "report"/);

      // Run the changed step again: the plan now says why it executes.
      await dialog.getByRole("radio", { name: /Run changed steps again/ }).check();
      await dialog.locator('[data-testid="plan-row"][data-step-id="report"][data-action="rerun"]').waitFor();
      assert.deepEqual(await planRows(page, "rerun-plan-dialog"), { write: "rerun", report: "rerun" });
      assert.match(
        await versions.locator('[data-step-id="report"]').innerText(),
        /report \(rerun\): its definition changed since it ran/,
      );
      await dialog.getByTestId("confirm-rerun").click();
      const rerun = await nextRun(page, source);
      await runStatus(page, "succeeded");
      assert.equal(await page.getByTestId("run-version").innerText(), `version ${v2.body.version}`);
      const detail = await ui.server.api<{
        workflowVersion: string;
        steps: Array<{ id: string; output: unknown }>;
      }>("GET", `/api/runs/${rerun}`);
      assert.equal(detail.body.workflowVersion, v2.body.version);

      // The workflows page lists it as stored, with its newest version, and starts that version.
      await page.goto(`${ui.server.url}/#/workflows/ui-versions`);
      const link = page.locator('[data-testid="workflow-link"]', { hasText: "ui-versions" });
      assert.match(
        await link.getByTestId("workflow-stored").innerText(),
        new RegExp(`stored · ${v2.body.version} · 2 versions`),
      );
      assert.match(
        await page.getByTestId("workflow-version").innerText(),
        new RegExp(`newest version ${v2.body.version} of 2`),
      );
      await graphNode(page, "report").waitFor();
      await page.getByTestId("start-run").click();
      const fresh = await nextRun(page, rerun);
      await runStatus(page, "succeeded");
      assert.notEqual(fresh, source);
      assert.equal(await page.getByTestId("run-version").innerText(), `version ${v2.body.version}`);
    });
  });
}

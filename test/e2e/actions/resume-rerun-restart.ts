import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import type { UiSession } from "../helpers/browser.js";
import {
  borderRgb,
  currentRunId,
  graphNode,
  nextRun,
  nodeStatus,
  openRun,
  overflowing,
  planRows,
  runStatus,
  toast,
} from "../helpers/ui.js";

// The web UI in a real headless Chromium against `cairn serve`: resume, rerun of failed nodes,
// rerun from a picked node, restart. What executed is read from the steps' side-effect ledger.
const ARTIFACTS = path.resolve("test-artifacts/e2e");

export function resumeRerunRestart(ui: UiSession): void {
  describe("web UI: resume, rerun, restart", { timeout: 240_000 }, () => {
    before(() => ui.fresh());
    const runs: Record<string, string> = {};

    test("a run failed at its middle step is resumed from the plan dialog; completed steps do not run again", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "failed");
      assert.match(await nodeStatus(page, "flaky", "failed"), /Call flaky service.*failed/);
      const [r, g, b] = await borderRgb(graphNode(page, "flaky"));
      assert.ok(r > 150 && g < 90 && b < 90, `the failed node is red, got rgb(${r}, ${g}, ${b})`);
      assert.match(await nodeStatus(page, "prepare", "succeeded"), /succeeded/);

      fs.writeFileSync(path.join(ui.server.dir, `fixed-${runId}`), "");
      await page.getByTestId("resume").click();
      assert.deepEqual(await planRows(page), { prepare: "keep", flaky: "retry", publish: "run" });
      const flakyRow = page.getByTestId("plan-dialog").locator('[data-step-id="flaky"]');
      assert.match(
        await flakyRow.innerText(),
        /retry[\s\S]*failed: Command exited with code 3: connection refused/,
      );

      // Hold the request to see the in-flight state a person would see on a slow network.
      let release: (value?: unknown) => void = () => undefined;
      const held = new Promise((resolve) => (release = resolve));
      await page.route("**/api/runs/*/resume", async (route) => {
        await held;
        await route.continue();
      });
      await page.getByTestId("confirm-resume").click();
      const resume = page.getByTestId("resume");
      await page.locator('[data-testid="resume"]:disabled', { hasText: "Resuming…" }).waitFor();
      assert.equal(await resume.isDisabled(), true);
      release();
      await toast(page, "success", /Resumed run/);
      await page.unroute("**/api/runs/*/resume");

      await runStatus(page, "succeeded");
      assert.deepEqual(ui.server.executed(runId), ["prepare", "flaky", "flaky", "publish"]);
      // The history follows the run live: the resume is listed with its outcome once it settles.
      await page.locator('[data-testid="history-attempt"][data-outcome="succeeded"]').waitFor();
      const history = await page.getByTestId("history-attempt").allInnerTexts();
      assert.equal(history.length, 2);
      assert.match(history[0]!, /#1 start\s+failed/);
      assert.match(history[1]!, /#2 resume\s+succeeded/);
      assert.match(await page.getByTestId("run-attempt").innerText(), /attempt 2/);
      runs.resumed = runId;
    });

    test("two failed parallel branches: 'rerun all failed nodes' makes a linked run that reuses the rest and succeeds", async () => {
      const { page } = ui.browser;
      const parent = await ui.server.startRun("ui-parallel");
      await openRun(page, ui.server.url, parent);
      await runStatus(page, "failed");
      await nodeStatus(page, "left", "failed");
      await nodeStatus(page, "right", "failed");
      await nodeStatus(page, "join", "skipped");

      // A rerun from one branch alone is refused by its plan (the other branch has no output to reuse).
      await page.getByTestId("rerun-menu-toggle").click();
      const left = page.locator('[data-testid="rerun-failed-item"][data-step-id="left"]');
      assert.equal(await left.getAttribute("aria-disabled"), "true");
      assert.match(
        await left.getByTestId("rerun-item-refusal").innerText(),
        /Not possible alone: Cannot rerun from "left": step "right" would be reused but has no recorded output/,
      );
      await left.dispatchEvent("click");
      assert.equal(await page.getByTestId("rerun-plan-dialog").count(), 0, "a refused item starts nothing");
      await page.keyboard.press("Escape");

      fs.writeFileSync(path.join(ui.server.dir, "fixed-ui-parallel"), "");
      await page.getByTestId("rerun-failed").click();
      const dialog = page.getByTestId("rerun-plan-dialog");
      assert.deepEqual(await planRows(page, "rerun-plan-dialog"), {
        extract: "keep",
        left: "rerun",
        right: "rerun",
        join: "run",
      });
      assert.match(await dialog.innerText(), /Rerun all failed nodes of run/);
      assert.match(
        await dialog.locator('[data-step-id="extract"]').innerText(),
        new RegExp(`keep[\\s\\S]*output reused from run ${parent}`),
      );
      assert.match(
        await dialog.locator('[data-step-id="join"]').innerText(),
        /downstream of selected "left"/,
      );
      assert.deepEqual(ui.server.executed(parent).length, 3, "nothing started before the plan is confirmed");
      await dialog.getByTestId("confirm-rerun").click();
      const child = await nextRun(page, parent);
      await toast(page, "success", new RegExp(`Started run ${child}, a rerun of ${parent}`));
      assert.match(
        await page.getByTestId("lineage-marker").first().innerText(),
        new RegExp(`rerun of ${parent}`),
      );
      assert.equal(await page.getByTestId("lineage-parent").innerText(), parent);
      assert.match(await nodeStatus(page, "extract", "reused"), /reused/);
      await runStatus(page, "succeeded");
      assert.deepEqual(ui.server.executed(child).sort(), ["join", "left", "right"]);

      // The list shows the new run with its lineage, and the parent lists it as a child.
      await page.goto(`${ui.server.url}/#/runs`);
      const row = page.locator(`[data-testid="run-row"][data-run-id="${child}"]`);
      assert.match(await row.innerText(), new RegExp(`succeeded[\\s\\S]*rerun of ${parent}`));
      await openRun(page, ui.server.url, parent);
      assert.match(await page.getByTestId("lineage-child").innerText(), new RegExp(`rerun ${child}`));
      runs.parallel = child;
    });

    test("rerun from one failed node: its plan first, then a new run from it", async () => {
      const { page } = ui.browser;
      const source = await ui.server.startRun("ui-resume");
      await openRun(page, ui.server.url, source);
      await runStatus(page, "failed");
      await page.getByTestId("rerun-menu-toggle").click();
      const item = page.locator('[data-testid="rerun-failed-item"][data-step-id="flaky"]');
      assert.equal(await item.getAttribute("aria-disabled"), null, "the plan allows it");
      await item.click();
      const dialog = page.getByTestId("rerun-plan-dialog");
      assert.deepEqual(await planRows(page, "rerun-plan-dialog"), {
        prepare: "keep",
        flaky: "rerun",
        publish: "run",
      });
      assert.match(await dialog.innerText(), /Rerun from Call flaky service of run/);
      assert.match(
        await dialog.locator('[data-step-id="flaky"]').innerText(),
        /failed: Command exited with code 3: connection refused by flaky\.example; selected to run again/,
      );
      await dialog.getByTestId("confirm-rerun").click();
      const rerun = await nextRun(page, source);
      await runStatus(page, "failed");
      assert.deepEqual(ui.server.executed(rerun), ["flaky"], "prepare was reused");
      await nodeStatus(page, "prepare", "reused");
    });

    test("rerun from several nodes picked in the graph executes them and their downstream only", async () => {
      const { page } = ui.browser;
      const source = await ui.server.startRun("ui-chain");
      await openRun(page, ui.server.url, source);
      await runStatus(page, "succeeded");
      assert.equal(
        await page.getByTestId("rerun-failed").getAttribute("aria-disabled"),
        "true",
        "nothing failed",
      );

      await page.getByTestId("rerun-menu-toggle").click();
      await page.getByRole("menuitem", { name: "Rerun from selected nodes…" }).click();
      await page.getByTestId("pick-banner").waitFor();
      await graphNode(page, "b").getByRole("button").click();
      await graphNode(page, "c").getByRole("button").click();
      await graphNode(page, "c").getByRole("button").click(); // again: unchosen
      await graphNode(page, "d").getByRole("button").click();
      assert.equal(await page.getByTestId("pick-chosen").innerText(), "Chosen: b, d");
      await page.getByTestId("pick-confirm").click();
      const dialog = page.getByTestId("rerun-plan-dialog");
      assert.deepEqual(await planRows(page, "rerun-plan-dialog"), {
        a: "keep",
        b: "rerun",
        c: "rerun",
        d: "rerun",
      });
      assert.match(await dialog.innerText(), /Rerun from b, d of run/);
      assert.match(await dialog.locator('[data-step-id="c"]').innerText(), /downstream of selected "b"/);
      assert.match(await dialog.innerText(), /A new run executes 3 steps/);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "rerun-plan-1280x800.png") });
      await dialog.getByTestId("confirm-rerun").click();

      const rerun = await nextRun(page, source);
      await runStatus(page, "succeeded");
      assert.deepEqual(ui.server.executed(rerun).sort(), ["b", "c", "d"]);
      await nodeStatus(page, "a", "reused");
      runs.chain = source;
    });

    test("restart creates a new run that executes every step", async () => {
      const { page } = ui.browser;
      const source = runs.chain!;
      await openRun(page, ui.server.url, source);
      await page.getByTestId("restart").click();
      const dialog = page.getByTestId("restart-dialog");
      assert.match(await dialog.innerText(), /from scratch with the same input/);
      await dialog.getByTestId("confirm-action").click();
      const restarted = await nextRun(page, source);
      assert.match(
        await page.getByTestId("lineage-marker").first().innerText(),
        new RegExp(`restart of ${source}`),
      );
      await runStatus(page, "succeeded");
      assert.deepEqual(ui.server.executed(restarted).sort(), ["a", "b", "c", "d"]);
      for (const step of ["a", "b", "c", "d"]) await nodeStatus(page, step, "succeeded");
    });

    test("screenshots of the runs list and a run's page, at 1280×800 and 390 wide", async () => {
      const { page } = ui.browser;
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const shots: Array<[string, { width: number; height: number }]> = [
        ["1280x800", { width: 1280, height: 800 }],
        ["390x844", { width: 390, height: 844 }],
      ];
      for (const [name, size] of shots) {
        await page.setViewportSize(size);
        await page.goto(`${ui.server.url}/#/runs`);
        await page.reload(); // a fresh page: the earlier tests' toasts gone, the token still in the session
        await page.getByTestId("run-row").nth(5).waitFor();
        await page.screenshot({ path: path.join(ARTIFACTS, `runs-list-${name}.png`) });
        // Nothing may stick out sideways (a phone would scroll the whole page).
        assert.deepEqual(await overflowing(page), []);
        await page.goto(`${ui.server.url}/#/runs/${runs.resumed}?step=flaky`);
        await runStatus(page, "succeeded");
        await page.getByTestId("step-panel").waitFor();
        await page.screenshot({ path: path.join(ARTIFACTS, `run-detail-${name}.png`), fullPage: true });
        assert.deepEqual(await overflowing(page), []);
      }
      assert.equal(currentRunId(page), runs.resumed);
      assert.deepEqual(ui.browser.external, [], "no request left the server under test");
      assert.deepEqual(ui.browser.pageErrors, []);
    });
  });
}

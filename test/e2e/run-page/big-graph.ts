import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { until } from "../../helpers/temp.js";
import type { UiSession } from "../helpers/browser.js";
import { graphNode, openRun, runStatus } from "../helpers/ui.js";

// A 200-step chain is readable as it opens (names at 11 px or more, not fitted into specks), with a
// minimap and a search that finds a step and brings it into view; a small graph is still fitted,
// and fitted again when the step panel opens.

/** The slice of the DOM the in-page callbacks use (this program is typechecked without the DOM). */
interface TitleElement {
  closest(selector: string): { offsetHeight: number; getBoundingClientRect(): { height: number } };
}
interface SvgPath {
  getTotalLength(): number;
  getPointAtLength(len: number): { x: number; y: number };
  getScreenCTM(): { a: number; b: number; c: number; d: number; e: number; f: number };
}
interface DomGlobals {
  getComputedStyle(el: unknown): { fontSize: string; opacity: string };
}

/** The size a node's name is drawn at on screen: its CSS font size times the graph's zoom. */
async function drawnTitlePx(page: Page, stepId: string): Promise<number> {
  return graphNode(page, stepId)
    .locator(".step-node-title")
    .evaluate((el) => {
      const node = (el as unknown as TitleElement).closest(".step-node");
      const zoom = node.getBoundingClientRect().height / node.offsetHeight;
      return Number.parseFloat((globalThis as unknown as DomGlobals).getComputedStyle(el).fontSize) * zoom;
    });
}

/** Whether a node is drawn wholly inside the graph's box (not cut off, not panned away). */
async function inGraphBox(page: Page, stepId: string): Promise<boolean> {
  const node = graphNode(page, stepId);
  if ((await node.count()) === 0) return false;
  const [box, graph] = await Promise.all([node.boundingBox(), page.getByTestId("graph").boundingBox()]);
  if (!box || !graph) return false;
  return (
    box.x >= graph.x &&
    box.y >= graph.y &&
    box.x + box.width <= graph.x + graph.width &&
    box.y + box.height <= graph.y + graph.height
  );
}

export function bigGraphs(ui: UiSession): void {
  describe("web UI: big graphs", { timeout: 240_000 }, () => {
    before(() => ui.fresh());

    test("a 200-step chain opens readable on its first steps, with a minimap and a search", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-chain-200");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded", 60_000);
      const minimap = page.getByTestId("rf__minimap");
      await minimap.waitFor();
      assert.ok(await minimap.isVisible(), "the minimap is shown");
      await until(() => inGraphBox(page, "c001"), "the first step in view as the graph opens");
      const px = await drawnTitlePx(page, "c001");
      assert.ok(px >= 11, `a step's name is drawn at ${px.toFixed(1)} px at the default zoom`);
      assert.equal(await inGraphBox(page, "c200"), false, "the chain is not squeezed into the box");

      // Searching by id centres the step and dims the others.
      const search = page.getByTestId("graph-search");
      await search.fill("c150");
      await until(() => inGraphBox(page, "c150"), "c150 brought into view by the search");
      assert.equal(await page.getByTestId("graph-search-count").innerText(), "1 of 1");
      assert.equal(await graphNode(page, "c150").getAttribute("data-found"), "current");
      assert.equal(await graphNode(page, "c149").getAttribute("data-found"), "other");
      const opacity = await graphNode(page, "c149").evaluate(
        (el) => (globalThis as unknown as DomGlobals).getComputedStyle(el).opacity,
      );
      assert.ok(Number(opacity) < 1, `a step the search did not find is dimmed (opacity ${opacity})`);
      assert.ok((await drawnTitlePx(page, "c150")) >= 11, "still readable where the search took us");

      // By name: "stage 17" is Stage 17 and Stage 170–179; Enter moves to the next match.
      await search.fill("stage 17");
      await until(() => inGraphBox(page, "c017"), "the first match (Stage 17) in view");
      assert.equal(await page.getByTestId("graph-search-count").innerText(), "1 of 11");
      await search.press("Enter");
      await until(() => inGraphBox(page, "c170"), "Enter shows the next match (Stage 170)");
      assert.equal(await page.getByTestId("graph-search-count").innerText(), "2 of 11");
      assert.equal(await graphNode(page, "c170").getAttribute("data-found"), "current");
      assert.equal(await graphNode(page, "c171").getAttribute("data-found"), "match");

      await search.press("Escape");
      await until(
        async () => (await graphNode(page, "c170").getAttribute("data-found")) === null,
        "Escape clears the search: nothing dimmed",
      );
      assert.deepEqual(ui.browser.pageErrors, []);
    });

    test("a link to a step of a big graph opens on that step", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-chain-200");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded", 60_000);
      await page.goto(`${ui.server.url}/#/runs/${runId}?step=c120`);
      await page.getByTestId("step-panel").getByRole("heading", { name: "Stage 120" }).waitFor();
      await until(() => inGraphBox(page, "c120"), "the linked step in view");
      assert.ok((await drawnTitlePx(page, "c120")) >= 11);
      assert.deepEqual(ui.browser.pageErrors, []);
    });

    test("a small graph is fitted without minimap or search, and fitted again when the panel opens", async () => {
      const { page } = ui.browser;
      const runId = await ui.server.startRun("ui-chain");
      await openRun(page, ui.server.url, runId);
      await runStatus(page, "succeeded");
      for (const id of ["a", "b", "c", "d"]) await until(() => inGraphBox(page, id), `${id} in view`);
      assert.equal(await page.getByTestId("rf__minimap").count(), 0);
      assert.equal(await page.getByTestId("graph-search").count(), 0);
      // Edges leave a node from its right side and enter the next on its left (a → d: a fork).
      const ends = await page
        .locator('[data-testid="rf__edge-a->d"] path.react-flow__edge-path')
        .evaluate((el) => {
          const path = el as unknown as SvgPath;
          const m = path.getScreenCTM();
          return [0, path.getTotalLength()].map((len) => {
            const p = path.getPointAtLength(len);
            return { x: p.x * m.a + p.y * m.c + m.e, y: p.x * m.b + p.y * m.d + m.f };
          });
        });
      const [a, d] = [
        (await graphNode(page, "a").boundingBox())!,
        (await graphNode(page, "d").boundingBox())!,
      ];
      assert.ok(
        Math.abs(ends[0]!.x - (a.x + a.width)) <= 6,
        `a → d leaves a's right side (${ends[0]!.x} vs ${a.x + a.width})`,
      );
      assert.ok(ends[0]!.y > a.y && ends[0]!.y < a.y + a.height, "at the height of a");
      assert.ok(Math.abs(ends[1]!.x - d.x) <= 6, `a → d enters d's left side (${ends[1]!.x} vs ${d.x})`);
      assert.ok(ends[1]!.y > d.y && ends[1]!.y < d.y + d.height, "at the height of d");
      await graphNode(page, "a").getByRole("button").click();
      await page.getByTestId("step-panel").getByRole("heading", { name: "a", exact: true }).waitFor();
      // The panel narrows the graph's box; the rightmost node (c) would be cut off without a new fit.
      for (const id of ["a", "b", "c", "d"])
        await until(() => inGraphBox(page, id), `${id} still in view with the panel open`);
      assert.deepEqual(ui.browser.pageErrors, []);
    });
  });
}

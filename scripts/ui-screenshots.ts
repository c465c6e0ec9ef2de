/**
 * Regenerates every screenshot docs/ui.md shows, with the real UI in Debian's Chromium against
 * `cairn serve` on a temp SQLite store holding real runs (scripts/ui-screenshot-store.ts).
 *
 * - run-detail.png: a failed run resumed once (and failed again), its failed step's panel open;
 * - big-graph.png: the graph of a 120-step chain searched for "partition 4";
 * - map-items.png: a map step whose 3 of 30 items failed, its item grid and one failed item;
 * - rerun-plan.png: the plan of a rerun from two nodes picked in the graph;
 * - runs-list.png: the runs list with runs of every kind (failed, cancelled, waiting for a signal,
 *   sleeping, a child run, a rerun).
 *
 *   npm run build && node --import tsx scripts/ui-screenshots.ts [output directory, default docs/]
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { launchBrowser, signIn } from "../test/e2e/helpers/browser.js";
import { openScreenshotStore } from "./ui-screenshot-store.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, "docs"));

/** What the in-page callback uses (this program is typechecked without the DOM library). */
interface ScrollTarget {
  scrollIntoView(options: { block: "start" }): void;
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const store = await openScreenshotStore();
  try {
    const { url, runs } = store;
    const browser = await launchBrowser(url);
    try {
      const { page } = browser;
      await signIn(page, url, store.token);
      await runDetail(page, url, runs.failedResumed);
      await bigGraph(page, url, runs.bigGraph);
      await mapItems(page, url, runs.failedMap);
      const rerun = await rerunPlan(page, url, runs.succeeded);
      await store.settled(rerun);
      await runsList(page, url);
      if (browser.pageErrors.length > 0) throw new Error(`page errors: ${browser.pageErrors.join("; ")}`);
    } finally {
      await browser.close();
    }
  } finally {
    store.stop();
  }
}

/** The failed, resumed run with its failed step's panel: the whole page (history included). */
async function runDetail(page: Page, url: string, runId: string): Promise<void> {
  await page.goto(`${url}/#/runs/${runId}?step=convert-currency`);
  await page.locator('[data-testid="run-page"][data-status="failed"]').waitFor();
  await page.getByTestId("log-count").waitFor();
  await page.getByTestId("timeline-gap").waitFor();
  await settle(page);
  await shot(page, "run-detail.png", { fullPage: true });
}

/** The 120-step chain searched for "partition 4", the second match shown: the graph's box only. */
async function bigGraph(page: Page, url: string, runId: string): Promise<void> {
  await page.goto(`${url}/#/runs/${runId}`);
  await page.locator('[data-testid="run-page"][data-status="succeeded"]').waitFor();
  await page.getByTestId("graph-search").fill("partition 4");
  await page.getByTestId("graph-search").press("Enter");
  await page
    .locator('[data-testid="graph-node"][data-step-id="partition-040"][data-found="current"]')
    .waitFor();
  await settle(page);
  await page.getByTestId("graph").screenshot({ path: output("big-graph.png") });
  written("big-graph.png");
}

/** The failed map step's panel: its counts, the grid with 3 failed cells, item page-19's error. */
async function mapItems(page: Page, url: string, runId: string): Promise<void> {
  await page.goto(`${url}/#/runs/${runId}?step=fetch`);
  await page.locator('[data-testid="run-page"][data-status="failed"]').waitFor();
  const grid = page.getByTestId("item-grid");
  await grid
    .getByTestId("item-loaded")
    .filter({ hasText: /^30 of 30 shown/ })
    .waitFor();
  await grid.locator('[data-testid="item-cell"][data-key="page-19"]').click();
  await grid.getByTestId("item-error").waitFor();
  await grid.getByTestId("item-logs").waitFor();
  // The panel scrolls on its own: the grid's heading to its top, the item's detail below it; the
  // page itself back at its top (the header, the error banner and the graph in view).
  await grid
    .getByRole("heading", { name: "Items" })
    .evaluate((el) => (el as unknown as ScrollTarget).scrollIntoView({ block: "start" }));
  await page.evaluate(() =>
    (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
  );
  await settle(page);
  await shot(page, "map-items.png");
}

/** The plan of a rerun from Load refunds and Sales by region, picked in the graph; then started. */
async function rerunPlan(page: Page, url: string, runId: string): Promise<string> {
  await page.goto(`${url}/#/runs/${runId}`);
  await page.locator('[data-testid="run-page"][data-status="succeeded"]').waitFor();
  await page.getByTestId("rerun-menu-toggle").click();
  await page.getByRole("menuitem", { name: "Rerun from selected nodes…" }).click();
  await page.getByTestId("pick-banner").waitFor();
  for (const id of ["load-refunds", "by-region"])
    await page.locator(`[data-testid="graph-node"][data-step-id="${id}"]`).getByRole("button").click();
  await page.getByTestId("pick-confirm").click();
  const dialog = page.getByTestId("rerun-plan-dialog");
  await dialog.locator('[data-testid="plan-row"][data-step-id="dashboard"]').waitFor();
  await settle(page);
  await shot(page, "rerun-plan.png");
  await dialog.getByTestId("confirm-rerun").click();
  await page.waitForURL((u) => u.hash.startsWith("#/runs/") && !u.hash.startsWith(`#/runs/${runId}`));
  return decodeURIComponent(/#\/runs\/([^?]+)/.exec(new URL(page.url()).hash)![1]!);
}

/** The runs list, every run of the store on it. */
async function runsList(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/#/runs`);
  await page.reload(); // a fresh page: no toast left from the rerun
  await page.locator('[data-testid="run-row"][data-status="cancelled"]').waitFor();
  await settle(page);
  await shot(page, "runs-list.png");
}

/** Lets animations (the graph's moves, a dialog's entry) finish before a screenshot. */
async function settle(page: Page): Promise<void> {
  await page.waitForTimeout(500);
}

function output(file: string): string {
  return path.join(OUT, file);
}

async function shot(page: Page, file: string, options: { fullPage?: boolean } = {}): Promise<void> {
  await page.screenshot({ path: output(file), ...options });
  written(file);
}

function written(file: string): void {
  process.stdout.write(`Wrote ${path.relative(process.cwd(), output(file))}.\n`);
}

await main();

import type { Locator, Page } from "playwright-core";

/**
 * The slice of the DOM the in-page callbacks below use: they run in the browser, but this program
 * is typechecked without the DOM library.
 */
interface Rect {
  right: number;
  width: number;
}
interface DomElement {
  tagName: string;
  className: unknown;
  getBoundingClientRect(): Rect;
  closest(selector: string): unknown;
}
interface DomGlobals {
  getComputedStyle(el: unknown): { borderTopColor: string };
  document: {
    documentElement: { clientWidth: number; scrollWidth: number };
    querySelectorAll(selector: string): Iterable<DomElement>;
  };
}

/** Open a run's page (the hash route) and wait until it shows the run. */
export async function openRun(page: Page, baseUrl: string, runId: string): Promise<void> {
  await page.goto(`${baseUrl}/#/runs/${encodeURIComponent(runId)}`);
  await page.getByTestId("run-page").waitFor();
}

/** Waits until the run page shows this status (its badge changes live, over SSE). */
export async function runStatus(page: Page, status: string, timeout = 30_000): Promise<void> {
  await page.locator(`[data-testid="run-page"][data-status="${status}"]`).waitFor({ timeout });
}

/** The run id the page shows (from the route). */
export function currentRunId(page: Page): string {
  const match = /#\/runs\/([^?]+)/.exec(new URL(page.url()).hash);
  if (!match) throw new Error(`not on a run page: ${page.url()}`);
  return decodeURIComponent(match[1]!);
}

/** Waits for the browser to move to another run's page (restart and rerun open the new run). */
export async function nextRun(page: Page, fromRunId: string): Promise<string> {
  await page.waitForURL(
    (url) => url.hash.startsWith("#/runs/") && !url.hash.startsWith(`#/runs/${fromRunId}`),
  );
  await page.getByTestId("run-page").waitFor();
  return currentRunId(page);
}

export function graphNode(page: Page, stepId: string): Locator {
  return page.locator(`[data-testid="graph-node"][data-step-id="${stepId}"]`);
}

/** Waits until a graph node shows a status, and returns what it says in words. */
export async function nodeStatus(page: Page, stepId: string, status: string): Promise<string> {
  const node = page.locator(`[data-testid="graph-node"][data-step-id="${stepId}"][data-status="${status}"]`);
  await node.waitFor();
  return (await node.innerText()).replace(/\s+/g, " ").trim();
}

/** The node's border colour as [r, g, b]. */
export async function borderRgb(node: Locator): Promise<[number, number, number]> {
  const color = await node.evaluate(
    (el) => (globalThis as unknown as DomGlobals).getComputedStyle(el).borderTopColor,
  );
  const [r, g, b] = (color.match(/\d+/g) ?? []).map(Number);
  return [r ?? 0, g ?? 0, b ?? 0];
}

/** The plan dialog's rows as step → action (resume's dialog, or "rerun-plan-dialog"). */
export async function planRows(page: Page, dialog = "plan-dialog"): Promise<Record<string, string>> {
  const rows = page.getByTestId(dialog).getByTestId("plan-row");
  await rows.first().waitFor();
  const out: Record<string, string> = {};
  for (const row of await rows.all())
    out[(await row.getAttribute("data-step-id"))!] = (await row.getAttribute("data-action"))!;
  return out;
}

/** Waits for a toast whose text matches, and returns its text. */
export async function toast(page: Page, kind: "success" | "error", text: RegExp): Promise<string> {
  const found = page.locator(`[data-testid="toast"].toast-${kind}`).filter({ hasText: text });
  await found.first().waitFor();
  return (await found.first().innerText()).replace(/\s+/g, " ").trim();
}

/** Elements sticking out past the viewport's right edge (a phone would scroll sideways). */
export async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as DomGlobals;
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width)
      out.push(`page is ${document.documentElement.scrollWidth}px wide`);
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > width + 1 && !el.closest(".react-flow__viewport"))
        out.push(`${el.tagName.toLowerCase()}.${String(el.className)} ends at ${Math.round(r.right)}px`);
    }
    return out.slice(0, 8);
  });
}

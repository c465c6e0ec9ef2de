import fs from "node:fs";
import { after, before } from "node:test";
import { type BrowserContext, type Browser as Chromium, chromium, type Page } from "playwright-core";
import { type Server, startServer } from "./server.js";

/** Debian's chromium package (apt-get install -y chromium); Playwright's own download is not used. */
export const CHROMIUM = process.env.CAIRN_CHROMIUM ?? "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/**
 * Why the browser tests cannot run here, or null. Outside CI a missing Chromium skips them with
 * this message; with CI=true it is a failure (the tests must not silently vanish there).
 */
export function chromiumMissing(): string | null {
  if (fs.existsSync(CHROMIUM)) return null;
  const message = `Chromium not found at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" to run the browser tests.`;
  if (process.env.CI === "true" || process.env.CI === "1")
    throw new Error(`${message} (CI=true: browser tests are required)`);
  process.stderr.write(`\n  SKIPPED e2e: ${message}\n\n`);
  return message;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Requests to anything but the server under test (there must be none: no CDN, no fonts). */
  external: string[];
  /** Uncaught errors in the page. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * One headless Chromium shared by the contexts open at the same time: each `launchBrowser` is a
 * fresh context in it (its own cookies, storage and cache), which is what a test needs, at a
 * fraction of a browser start. A test file's session (uiSession) keeps its context open for all its
 * groups, so the file starts one Chromium; the process closes with the last context, so that a
 * program that is not a test file (scripts/ui-screenshots.ts) ends when it closes its browser.
 */
let chromiumProcess: Promise<Chromium> | undefined;
let openContexts = 0;

/** A fresh browser context (a new profile: no cookies, no storage) with one page, closed by close(). */
export async function launchBrowser(
  baseUrl: string,
  viewport = { width: 1280, height: 800 },
): Promise<Browser> {
  openContexts++;
  let context: BrowserContext;
  chromiumProcess ??= chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const shared = chromiumProcess;
  try {
    context = await (await shared).newContext({ viewport });
  } catch (err) {
    await release(shared);
    throw err;
  }
  const page = await context.newPage();
  const external: string[] = [];
  const pageErrors: string[] = [];
  context.on("request", (r) => {
    const url = r.url();
    // data:, about: and blob: (the page's own downloads and previews) never leave the browser.
    if (!url.startsWith(baseUrl) && !/^(data|about|blob):/.test(url)) external.push(url);
  });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(20_000);
  let closed = false;
  return {
    context,
    page,
    external,
    pageErrors,
    close: async () => {
      if (closed) return;
      closed = true;
      await context.close();
      await release(shared);
    },
  };
}

/** One context fewer; the last one closes the Chromium (a later launchBrowser starts another). */
async function release(shared: Promise<Chromium>): Promise<void> {
  if (--openContexts > 0) return;
  if (chromiumProcess === shared) chromiumProcess = undefined;
  await (await shared.catch(() => undefined))?.close();
}

/** Open the UI and enter the token on its token screen, as a person would. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

export interface UiSession {
  readonly server: Server;
  readonly browser: Browser;
  /**
   * Leave the page blank but signed in with the session's token, so that the next visit loads the UI
   * afresh: no dialog, toast or selection left by earlier tests, and the session's own token again.
   */
  fresh(): Promise<void>;
}

/**
 * A `cairn serve` (see startServer) and a headless Chromium page signed in to it, for one describe
 * block: started before its tests and stopped after them.
 */
export function uiSession(): UiSession {
  const session: { server?: Server; browser?: Browser } = {};
  before(async () => {
    session.server = await startServer();
    session.browser = await launchBrowser(session.server.url);
    await signIn(session.browser.page, session.server.url, session.server.token);
  });
  after(async () => {
    await session.browser?.close();
    await session.server?.stop();
  });
  const ui: UiSession = {
    get server() {
      if (!session.server) throw new Error("uiSession: the server starts in before()");
      return session.server;
    },
    get browser() {
      if (!session.browser) throw new Error("uiSession: the browser starts in before()");
      return session.browser;
    },
    async fresh() {
      const { page } = ui.browser;
      if (!page.url().startsWith(ui.server.url)) await page.goto(ui.server.url);
      // The token lives in the tab's sessionStorage (web/src/api/token-store.ts); a test may have changed it.
      await page.evaluate(`sessionStorage.setItem("cairn.token", ${JSON.stringify(ui.server.token)})`);
      await page.goto("about:blank");
    },
  };
  return ui;
}

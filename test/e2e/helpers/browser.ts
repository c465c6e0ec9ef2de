import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
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

/** A fresh headless Chromium with its own profile directory, removed on close. */
export async function launchBrowser(
  baseUrl: string,
  viewport = { width: 1280, height: 800 },
): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: FLAGS,
    viewport,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const external: string[] = [];
  const pageErrors: string[] = [];
  context.on("request", (r) => {
    const url = r.url();
    // data:, about: and blob: (the page's own downloads and previews) never leave the browser.
    if (!url.startsWith(baseUrl) && !/^(data|about|blob):/.test(url)) external.push(url);
  });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.setDefaultTimeout(20_000);
  return {
    context,
    page,
    external,
    pageErrors,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Open the UI and enter the token on its token screen, as a person would. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

/**
 * A `cairn serve` (see startServer) and a headless Chromium signed in to it, for one describe block:
 * started before its tests and stopped after them.
 */
export function uiSession(): { readonly server: Server; readonly browser: Browser } {
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
  return {
    get server() {
      if (!session.server) throw new Error("uiSession: the server starts in before()");
      return session.server;
    },
    get browser() {
      if (!session.browser) throw new Error("uiSession: the browser starts in before()");
      return session.browser;
    },
  };
}

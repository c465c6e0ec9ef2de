import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Browser, chromiumMissing, launchBrowser, signIn } from "../helpers/browser.js";
import { startPrefixProxy } from "../helpers/prefix-proxy.js";
import { type Server, startServer } from "../helpers/server.js";

// The web UI mounted under a path prefix by a reverse proxy (`/cairn/` → the server's `/`): its
// assets and its API calls are relative, so nothing is asked for outside the prefix.
export function pathPrefix(): void {
  describe("web UI under a path prefix", { timeout: 120_000 }, () => {
    let server: Server;
    let proxy: Awaited<ReturnType<typeof startPrefixProxy>>;

    before(async () => {
      server = await startServer();
      proxy = await startPrefixProxy(server.url, "/cairn");
    });
    after(async () => {
      await proxy?.close();
      await server?.stop();
    });

    test("index.html refers to its assets relatively, and each loads through the prefix", async () => {
      const res = await fetch(`${proxy.url}/`);
      assert.equal(res.status, 200);
      const html = await res.text();
      const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.some((r) => r.endsWith(".js")) && refs.some((r) => r.endsWith(".css")), html);
      for (const ref of refs) {
        assert.ok(!ref.startsWith("/"), `${ref} is relative`);
        const asset = await fetch(new URL(ref, `${proxy.url}/`));
        assert.equal(asset.status, 200, ref);
      }
      assert.deepEqual(proxy.outside, []);
    });

    const missing = chromiumMissing();
    describe("in Chromium", { skip: missing ?? false }, () => {
      let browser: Browser;
      before(async () => {
        browser = await launchBrowser(proxy.url);
      });
      after(async () => {
        await browser?.close();
      });

      test("sign in, list runs live over SSE and open a run, all under /cairn/", async () => {
        const { page } = browser;
        await signIn(page, `${proxy.url}/`, server.token);
        await page.getByTestId("live-indicator").and(page.locator('[data-state="open"]')).waitFor();
        const runId = await server.startRun("ui-chain");
        const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"][data-status="succeeded"]`);
        await row.waitFor();
        await page.goto(`${proxy.url}/#/runs/${runId}`);
        await page.getByTestId("run-page").waitFor();
        assert.deepEqual(proxy.outside, [], "no request outside the prefix");
        assert.deepEqual(browser.external, []);
        assert.deepEqual(browser.pageErrors, []);
      });
    });
  });
}

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { assertErrorShape, startServer } from "./helpers.js";
import { quick } from "./workflows.js";

const web = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-web-"));
const outside = path.join(os.tmpdir(), "outside-web-root.txt");
after(() => {
  fs.rmSync(web, { recursive: true, force: true });
  fs.rmSync(outside, { force: true });
});
fs.mkdirSync(path.join(web, "assets"));
fs.writeFileSync(path.join(web, "index.html"), "<!doctype html><title>Cairn</title>");
fs.writeFileSync(path.join(web, "assets", "index-Bx3kQ9aZ.js"), "console.log('ui')");
fs.writeFileSync(path.join(web, "favicon.svg"), "<svg/>");
fs.writeFileSync(outside, "secret");

const s = await startServer({ workflows: [quick], app: { staticDir: web } });

test("the web UI: index.html revalidated, hashed assets cached for a year, UI routes fall back to index.html", async () => {
  const index = await fetch(`${s.url}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
  assert.equal(index.headers.get("cache-control"), "no-cache");
  assert.match(await index.text(), /<title>Cairn<\/title>/);

  const asset = await fetch(`${s.url}/assets/index-Bx3kQ9aZ.js`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get("content-type") ?? "", /^text\/javascript/);
  assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");

  const icon = await fetch(`${s.url}/favicon.svg`);
  assert.equal(icon.headers.get("cache-control"), "no-cache", "an unhashed file is revalidated");

  const route = await fetch(`${s.url}/runs/run_123`);
  assert.equal(route.status, 200);
  assert.match(await route.text(), /<title>Cairn<\/title>/);

  assert.equal((await fetch(`${s.url}/assets/missing-Bx3kQ9aZ.js`)).status, 404);
  assert.equal((await fetch(`${s.url}/..%2Foutside-web-root.txt`)).status, 404);
  assert.equal((await fetch(`${s.url}/%2e%2e/outside-web-root.txt`)).status, 404);
  assertErrorShape(await s.api("/api/unknown", { token: s.tokens.acme }), 404, "NOT_FOUND");
  assertErrorShape(await s.api("/api/unknown"), 401, "UNAUTHORIZED");
});

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { assertErrorShape, startServer, storeState } from "./helpers.js";
import { flaky } from "./workflows.js";

const s = await startServer({ workflows: [flaky] });
after(() => s.close());

test("every route in the OpenAPI document refuses an unknown query parameter with 400 naming it", async () => {
  const document = (await s.api("/api/openapi.json", { token: s.tokens.acme })).body as {
    paths: Record<string, Record<string, unknown>>;
  };
  const before = await storeState(s.cairn);
  const tried: string[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    const pathname = template.replace(/\{[^}]+\}/g, "some-id");
    for (const method of Object.keys(operations)) {
      const res = await s.api(`${pathname}?bogus=1`, {
        token: s.tokens.acme,
        method: method.toUpperCase(),
        headers: { accept: "application/json" },
      });
      tried.push(`${method.toUpperCase()} ${template}`);
      assertErrorShape(res, 400, "BAD_REQUEST");
      assert.match(res.body.error.message, /query string.*bogus/, `${method} ${template}: ${res.text}`);
    }
  }
  assert.ok(tried.length >= 19, `every route was tried: ${tried.join(", ")}`);
  assert.deepEqual(await storeState(s.cairn), before, "nothing was written");
});

test("a declared parameter with a typo next to it is refused too, not half-applied", async () => {
  const res = await s.api("/api/runs?limit=5&staus=failed", { token: s.tokens.acme });
  assertErrorShape(res, 400, "BAD_REQUEST");
  assert.match(res.body.error.message, /staus/);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { webModule } from "./helpers/web-module.js";

// Where the graph opens: small graphs fitted, big ones at a readable zoom on their first steps; and
// the graph search's matches.
interface Point {
  x: number;
  y: number;
}
interface Bounds extends Point {
  width: number;
  height: number;
}
interface Size {
  width: number;
  height: number;
}
interface Viewport extends Point {
  zoom: number;
}
const v = await webModule<{
  READABLE_ZOOM: number;
  graphBounds(positions: Iterable<Point>): Bounds;
  fitsReadable(bounds: Bounds, size: Size): boolean;
  fitViewport(bounds: Bounds, size: Size): Viewport;
  startViewport(bounds: Bounds, first: Point, size: Size): Viewport;
  centredOn(node: Point, size: Size, zoom: number): Viewport;
  inView(node: Point, viewport: Viewport, size: Size): boolean;
  minimapSize(bounds: Bounds, box: Size): Size;
}>("run/graph-viewport.ts");
const { layoutGraph } = await webModule<{
  layoutGraph(nodes: Array<{ id: string; needs: string[] }>): Map<string, Point>;
}>("run/layout.ts");
const s = await webModule<{
  findSteps(steps: Array<{ id: string; label: string | null }>, order: string[], query: string): string[];
  cycle(current: number, count: number, step: 1 | -1): number;
}>("run/graph-search-model.ts");

const chain = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `c${i + 1}`, needs: i === 0 ? [] : [`c${i}`] }));
const BOX = { width: 1238, height: 200 }; // the run page's graph box for a chain, at 1280 px

test("a short chain fits and is fitted, centred, at no more than 1.1", () => {
  const positions = layoutGraph(chain(4));
  const bounds = v.graphBounds(positions.values());
  assert.ok(v.fitsReadable(bounds, BOX));
  const view = v.fitViewport(bounds, BOX);
  assert.ok(view.zoom >= v.READABLE_ZOOM && view.zoom <= 1.1, `zoom ${view.zoom}`);
  for (const p of positions.values()) assert.ok(v.inView(p, view, BOX), "every node in view");
});

test("a graph about as wide as its box is fitted right of the zoom buttons (bottom left, 45 px wide)", () => {
  const bounds = v.graphBounds(layoutGraph(chain(6)).values());
  const view = v.fitViewport(bounds, BOX);
  const left = bounds.x * view.zoom + view.x;
  const right = (bounds.x + bounds.width) * view.zoom + view.x;
  assert.ok(left >= 55, `the first step starts at ${left.toFixed(0)} px, clear of the buttons`);
  assert.ok(right <= BOX.width - 20, `the last ends at ${right.toFixed(0)} px, inside the box`);
});

test("in a 1280-px-wide window a chain of 6 steps fits, one of 7 does not (as docs/ui.md says)", () => {
  const bounds = (n: number) => v.graphBounds(layoutGraph(chain(n)).values());
  assert.ok(v.fitsReadable(bounds(6), BOX));
  assert.equal(v.fitsReadable(bounds(7), BOX), false);
});

test("a 200-step chain does not fit: it opens at the readable zoom on its first step, the last out of view", () => {
  const positions = layoutGraph(chain(200));
  const bounds = v.graphBounds(positions.values());
  assert.equal(v.fitsReadable(bounds, BOX), false);
  const view = v.startViewport(bounds, positions.get("c1")!, BOX);
  assert.equal(view.zoom, v.READABLE_ZOOM);
  assert.ok(14 * view.zoom >= 11, "a 14-px step name is drawn at 11 px or more");
  assert.ok(v.inView(positions.get("c1")!, view, BOX));
  assert.ok(v.inView(positions.get("c2")!, view, BOX));
  assert.equal(v.inView(positions.get("c200")!, view, BOX), false);
  // Centring on a far step brings it into view.
  const there = v.centredOn(positions.get("c150")!, BOX, view.zoom);
  assert.ok(v.inView(positions.get("c150")!, there, BOX));
  assert.equal(v.inView(positions.get("c1")!, there, BOX), false);
});

test("a tall fan-out opens on its root without empty space above the graph", () => {
  const fan = [{ id: "root", needs: [] as string[] }];
  for (let i = 0; i < 60; i++) fan.push({ id: `f${i}`, needs: ["root"] });
  const positions = layoutGraph(fan);
  const bounds = v.graphBounds(positions.values());
  const box = { width: 1238, height: 460 };
  assert.equal(v.fitsReadable(bounds, box), false);
  const view = v.startViewport(bounds, positions.get("root")!, box);
  assert.ok(v.inView(positions.get("root")!, view, box), "the root is in view");
  assert.ok(bounds.y * view.zoom + view.y <= 24, "the graph's top is not below the box's padding");
});

test("an unmeasured box counts as fitting (no minimap or search flashes before the size is known)", () => {
  const bounds = v.graphBounds(layoutGraph(chain(200)).values());
  assert.ok(v.fitsReadable(bounds, { width: 0, height: 0 }));
});

test("the minimap takes the graph's shape within 200 × 150 and a third of the box, each side at least 40", () => {
  const laptop = { width: 1238, height: 460 };
  assert.deepEqual(v.minimapSize({ x: 0, y: 0, width: 49_000, height: 80 }, laptop), {
    width: 200,
    height: 40,
  });
  assert.deepEqual(v.minimapSize({ x: 0, y: 0, width: 500, height: 16_000 }, laptop), {
    width: 40,
    height: 150,
  });
  assert.deepEqual(v.minimapSize({ x: 0, y: 0, width: 4000, height: 3000 }, laptop), {
    width: 200,
    height: 150,
  });
  const phone = { width: 358, height: 340 };
  assert.deepEqual(v.minimapSize({ x: 0, y: 0, width: 4000, height: 3000 }, phone), {
    width: 119,
    height: 90,
  });
});

test("the search finds steps by id or name, ignoring case, in graph order", () => {
  const steps = [
    { id: "fetch-10", label: "Fetch page" },
    { id: "fetch-2", label: "Fetch page" },
    { id: "merge", label: null },
    { id: "publish", label: "Upload report" },
  ];
  const order = ["fetch-2", "fetch-10", "merge", "publish"];
  assert.deepEqual(s.findSteps(steps, order, "FETCH"), ["fetch-2", "fetch-10"]);
  assert.deepEqual(s.findSteps(steps, order, " report "), ["publish"]);
  assert.deepEqual(s.findSteps(steps, order, "merge"), ["merge"]);
  assert.deepEqual(s.findSteps(steps, order, "zzz"), []);
  assert.deepEqual(s.findSteps(steps, order, "  "), [], "an empty query finds nothing");
  assert.equal(s.cycle(0, 3, 1), 1);
  assert.equal(s.cycle(2, 3, 1), 0, "Enter after the last match goes back to the first");
  assert.equal(s.cycle(0, 3, -1), 2);
  assert.equal(s.cycle(0, 0, 1), 0);
});

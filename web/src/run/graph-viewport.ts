import { NODE_HEIGHT, NODE_WIDTH, type Point } from "./layout";

/**
 * The smallest zoom the graph opens at. A step's name is 14 px in the page, so at 0.8 it is drawn
 * at 11.2 px: still readable. Fitting a 28-step chain into 1,240 px would need 0.17 (names at 2.4 px),
 * so a graph that does not fit at this zoom opens at it instead, and the user pans (minimap, search).
 */
export const READABLE_ZOOM = 0.8;
/** A small graph is fitted, but not blown up past this. */
export const MAX_FIT_ZOOM = 1.1;
/** Space kept between the graph and its box's edges, in screen pixels. */
const PADDING_PX = 24;
/** A graph opened at its left edge starts right of the zoom buttons (bottom left, 45 px wide). */
const START_LEFT_PX = 60;

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Size {
  width: number;
  height: number;
}
/** React Flow's viewport: screen = flow × zoom + (x, y). */
export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/** The box around every node (top-left corners from the layout, each node NODE_WIDTH × NODE_HEIGHT). */
export function graphBounds(positions: Iterable<Point>): Bounds {
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const p of positions) {
    left = Math.min(left, p.x);
    top = Math.min(top, p.y);
    right = Math.max(right, p.x + NODE_WIDTH);
    bottom = Math.max(bottom, p.y + NODE_HEIGHT);
  }
  if (left === Infinity) return { x: 0, y: 0, width: NODE_WIDTH, height: NODE_HEIGHT };
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** The box's width a fitted graph may use: from right of the zoom buttons to the right padding. */
function fitWidth(size: Size): number {
  return size.width - START_LEFT_PX - PADDING_PX;
}

function fitZoom(bounds: Bounds, size: Size): number {
  return Math.min(fitWidth(size) / bounds.width, (size.height - 2 * PADDING_PX) / bounds.height);
}

/** Whether the whole graph fits in its box at a readable zoom. An unmeasured box (0 × 0) counts as fitting. */
export function fitsReadable(bounds: Bounds, size: Size): boolean {
  if (size.width <= 0 || size.height <= 0) return true;
  return fitZoom(bounds, size) >= READABLE_ZOOM;
}

/**
 * The whole graph centred in its box, at most MAX_FIT_ZOOM; centred across the part right of the
 * zoom buttons, so that a graph as wide as its box is not drawn under them.
 */
export function fitViewport(bounds: Bounds, size: Size): Viewport {
  const zoom = Math.min(fitZoom(bounds, size), MAX_FIT_ZOOM);
  return {
    x: START_LEFT_PX + fitWidth(size) / 2 - (bounds.x + bounds.width / 2) * zoom,
    y: size.height / 2 - (bounds.y + bounds.height / 2) * zoom,
    zoom,
  };
}

/**
 * Where a graph too big to fit opens: at READABLE_ZOOM, its left edge (the first steps: the layout
 * runs left to right) just right of the zoom buttons, and vertically on `first` (the first step in
 * graph order), without showing empty space above or below the graph where it can be avoided.
 */
export function startViewport(bounds: Bounds, first: Point, size: Size): Viewport {
  const zoom = READABLE_ZOOM;
  const x = START_LEFT_PX - bounds.x * zoom;
  if (bounds.height * zoom <= size.height - 2 * PADDING_PX)
    return { x, y: size.height / 2 - (bounds.y + bounds.height / 2) * zoom, zoom };
  const centred = size.height / 2 - (first.y + NODE_HEIGHT / 2) * zoom;
  const highest = PADDING_PX - bounds.y * zoom;
  const lowest = size.height - PADDING_PX - (bounds.y + bounds.height) * zoom;
  return { x, y: Math.min(highest, Math.max(lowest, centred)), zoom };
}

/** A node (by its top-left corner) in the middle of the box, at `zoom`. */
export function centredOn(node: Point, size: Size, zoom: number): Viewport {
  return {
    x: size.width / 2 - (node.x + NODE_WIDTH / 2) * zoom,
    y: size.height / 2 - (node.y + NODE_HEIGHT / 2) * zoom,
    zoom,
  };
}

/** Whether a node is wholly inside the box. */
export function inView(node: Point, viewport: Viewport, size: Size): boolean {
  const left = node.x * viewport.zoom + viewport.x;
  const top = node.y * viewport.zoom + viewport.y;
  return (
    left >= 0 &&
    top >= 0 &&
    left + NODE_WIDTH * viewport.zoom <= size.width &&
    top + NODE_HEIGHT * viewport.zoom <= size.height
  );
}

/**
 * The minimap's size: the graph's shape within 200 × 150 and within a third of the box each way (a
 * phone keeps most of its graph), each side at least 40, so a long chain gets a strip rather than
 * a thin line in an empty box.
 */
export function minimapSize(bounds: Bounds, box: Size): Size {
  const most = { width: Math.min(200, box.width / 3), height: Math.min(150, box.height / 3) };
  const scale = Math.min(most.width / bounds.width, most.height / bounds.height);
  return {
    width: Math.round(Math.max(40, bounds.width * scale)),
    height: Math.round(Math.max(40, bounds.height * scale)),
  };
}

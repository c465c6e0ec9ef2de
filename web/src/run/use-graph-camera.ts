import { useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useRef } from "react";
import {
  type Bounds,
  centredOn,
  fitViewport,
  inView,
  READABLE_ZOOM,
  type Size,
  startViewport,
} from "./graph-viewport";
import type { Point } from "./layout";

const MOVE_MS = 250;

/**
 * Where the graph looks. When it opens, and whenever its box changes size (the step panel opening
 * or closing): a graph that fits at a readable zoom is fitted; a bigger one is centred on the
 * selected step, or opens on its first steps at READABLE_ZOOM. A step selected elsewhere (the
 * timeline, a banner, a link) is brought into view if it is out of it. Returns `showStep`, which
 * centres a step (the search uses it).
 */
export function useGraphCamera(opts: {
  positions: ReadonlyMap<string, Point>;
  bounds: Bounds;
  firstId: string | null;
  selectedId: string | null;
  size: Size;
  fits: boolean;
}): (stepId: string) => void {
  const { positions, bounds, firstId, selectedId, fits } = opts;
  const { width, height } = opts.size;
  const flow = useReactFlow();
  const opened = useRef(false);
  const selected = useRef(selectedId);
  selected.current = selectedId;
  const zoomToKeep = () => (opened.current ? Math.max(flow.getZoom(), READABLE_ZOOM) : READABLE_ZOOM);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new selection alone moves nothing here (the effect below does)
  useEffect(() => {
    if (width <= 0 || height <= 0) return;
    const size = { width, height };
    const focus = selected.current ? positions.get(selected.current) : undefined;
    if (fits) void flow.setViewport(fitViewport(bounds, size));
    else if (focus) void flow.setViewport(centredOn(focus, size, zoomToKeep()));
    else if (!opened.current) {
      const first = (firstId && positions.get(firstId)) || { x: bounds.x, y: bounds.y };
      void flow.setViewport(startViewport(bounds, first, size));
    }
    opened.current = true;
  }, [flow, width, height, bounds, fits, positions, firstId]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new selection moves the graph here
  useEffect(() => {
    const focus = selectedId ? positions.get(selectedId) : undefined;
    if (!opened.current || !focus) return;
    const size = { width, height };
    if (!inView(focus, flow.getViewport(), size))
      void flow.setViewport(centredOn(focus, size, zoomToKeep()), { duration: MOVE_MS });
  }, [selectedId]);

  return useCallback(
    (stepId: string) => {
      const focus = positions.get(stepId);
      if (!focus || width <= 0) return;
      const zoom = Math.max(flow.getZoom(), READABLE_ZOOM);
      void flow.setViewport(centredOn(focus, { width, height }, zoom), { duration: MOVE_MS });
    },
    [flow, positions, width, height],
  );
}

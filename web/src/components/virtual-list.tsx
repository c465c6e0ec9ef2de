import { type CSSProperties, type ReactNode, useCallback, useEffect, useRef, useState } from "react";

/**
 * A fixed-row-height virtual list: only the rows in view (plus `overscan`) are in the DOM, so a
 * list of 500 steps or 10,000 log lines scrolls as fast as a list of 20. It renders a <ul>;
 * `renderRow` returns the <li> (positioned with the given style).
 */
export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  /** Height of the scrolling box; the list never grows past it. */
  maxHeight: number;
  renderRow: (item: T, index: number, style: CSSProperties) => ReactNode;
  overscan?: number;
  className?: string;
  label?: string;
  testId?: string;
}) {
  const { items, rowHeight, maxHeight, renderRow } = props;
  const overscan = props.overscan ?? 8;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const onScroll = useCallback(() => setScrollTop(ref.current?.scrollTop ?? 0), []);
  const total = items.length * rowHeight;
  const height = Math.min(maxHeight, total);
  useEffect(() => {
    // The list shrank under the scroll position (filters, a new page): stay within it.
    if (ref.current && scrollTop > Math.max(0, total - height))
      ref.current.scrollTop = Math.max(0, total - height);
  }, [total, height, scrollTop]);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++)
    rows.push(
      renderRow(items[i]!, i, {
        position: "absolute",
        top: i * rowHeight,
        height: rowHeight,
        left: 0,
        right: 0,
      }),
    );
  return (
    <div
      ref={ref}
      className={`virtual-list${props.className ? ` ${props.className}` : ""}`}
      style={{ height, overflowY: "auto", position: "relative" }}
      onScroll={onScroll}
      data-testid={props.testId}
    >
      <ul
        className="virtual-rows"
        aria-label={props.label}
        // A scrolling list must be reachable by keyboard to be scrolled without a mouse.
        tabIndex={total > height ? 0 : undefined}
        style={{ height: total, position: "relative" }}
      >
        {rows}
      </ul>
    </div>
  );
}

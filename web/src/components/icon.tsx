import type { IconName } from "./status";

const PATHS: Record<IconName, string> = {
  check: "M3.5 8.5l3 3 6-7",
  cross: "M4 4l8 8M12 4l-8 8",
  spinner: "M8 2a6 6 0 1 1-6 6",
  pause: "M5.5 3.5v9M10.5 3.5v9",
  stop: "M4 4h8v8H4z",
  clock: "M8 2.5a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11M8 5v3.2l2.2 1.6",
  dash: "M4 8h8",
  reuse: "M3 6.5a5 5 0 0 1 9.2-1.8M13 9.5a5 5 0 0 1-9.2 1.8M12.5 2v3h-3M3.5 14v-3h3",
  skip: "M3.5 4l4 4-4 4M8.5 4l4 4-4 4",
  bolt: "M9 1.5L3.5 9H8l-1 5.5L12.5 7H8z",
};

/** A 16×16 line icon drawn inline (no icon font, no network). Decorative: text says the same. */
export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg
      className={`icon icon-${name}${className ? ` ${className}` : ""}`}
      viewBox="0 0 16 16"
      width="14"
      height="14"
      aria-hidden="true"
      focusable="false"
    >
      <path
        d={PATHS[name]}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import type { FailedNode, MenuItem } from "./run-from-failed-model";
import { runFromFailedState } from "./run-from-failed-model";

export interface RunFromFailedProps {
  /** Why the run's status refuses a rerun (the API's `actions.rerun.reason`), or null. */
  rerunRefusal: string | null;
  failed: readonly FailedNode[];
  busy: boolean;
  locked: boolean;
  onRerunFailed: () => void;
  onRerunFrom: (stepId: string) => void;
  onPick: () => void;
  /** Failed nodes the rerun plan refuses to rerun from alone, with the plan's reason. */
  refusals?: ReadonlyMap<string, string>;
  /** Start with the menu open (tests). */
  defaultOpen?: boolean;
}

/**
 * Split button: the primary part reruns all failed nodes; the menu lists each failed node (with its
 * first error line) and "Rerun from selected nodes…". Arrow keys move through the menu, Escape
 * closes it and returns focus to the toggle.
 */
export function RunFromFailedButton(props: RunFromFailedProps) {
  const state = runFromFailedState(props);
  const [open, setOpen] = useState(props.defaultOpen === true);
  const menuId = useId();
  const tipId = useId();
  const toggleRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const isOpen = open && !state.toggle.disabled;

  useEffect(() => {
    if (!isOpen) return;
    menuRef.current?.querySelector<HTMLButtonElement>("[role=menuitem]")?.focus();
    const onDown = (event: MouseEvent) => {
      const target = event.target as Node;
      if (!menuRef.current?.contains(target) && !toggleRef.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [isOpen]);

  const choose = (item: MenuItem) => {
    setOpen(false);
    if (item.kind === "pick") props.onPick();
    else if (!item.refusal) props.onRerunFrom(item.stepId);
  };

  const onMenuKey = (event: KeyboardEvent) => {
    const items = [...(menuRef.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]") ?? [])];
    const index = items.indexOf(document.activeElement as HTMLButtonElement);
    const move = (to: number) => items[(to + items.length) % items.length]?.focus();
    if (event.key === "ArrowDown") move(index + 1);
    else if (event.key === "ArrowUp") move(index - 1);
    else if (event.key === "Home") move(0);
    else if (event.key === "End") move(items.length - 1);
    else if (event.key === "Escape") {
      setOpen(false);
      toggleRef.current?.focus();
    } else if (event.key === "Tab") setOpen(false);
    else return;
    if (event.key !== "Tab") event.preventDefault();
  };

  const reason = state.primary.reason;
  return (
    <span className="action split" data-testid="run-from-failed">
      <span className="split-group">
        <button
          type="button"
          className="button split-main"
          disabled={state.primary.busy || props.locked}
          aria-disabled={reason ? true : undefined}
          aria-describedby={reason ? tipId : undefined}
          aria-busy={state.primary.busy || undefined}
          onClick={reason ? undefined : props.onRerunFailed}
          data-testid="rerun-failed"
        >
          {state.primary.label}
          {props.failed.length > 0 && !state.primary.busy && (
            <span className="count">{props.failed.length}</span>
          )}
        </button>
        <button
          ref={toggleRef}
          type="button"
          className="button split-toggle"
          aria-haspopup="menu"
          aria-expanded={isOpen}
          aria-controls={isOpen ? menuId : undefined}
          aria-label="More rerun choices"
          disabled={state.toggle.disabled}
          onClick={() => setOpen((o) => !o)}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown" && !state.toggle.disabled) {
              e.preventDefault();
              setOpen(true);
            }
          }}
          data-testid="rerun-menu-toggle"
        >
          <span aria-hidden="true">▾</span>
        </button>
      </span>
      {reason && (
        <span role="tooltip" id={tipId} className="tooltip">
          {reason}
        </span>
      )}
      {isOpen && (
        <div
          ref={menuRef}
          id={menuId}
          role="menu"
          aria-label="Rerun from"
          className="menu"
          onKeyDown={onMenuKey}
          tabIndex={-1}
        >
          {state.items.map((item) => (
            <button
              key={item.key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={`menu-item menu-${item.kind}`}
              aria-disabled={item.kind === "failed" && item.refusal ? true : undefined}
              onClick={() => choose(item)}
              data-testid={item.kind === "pick" ? "rerun-pick" : "rerun-failed-item"}
              data-step-id={item.kind === "failed" ? item.stepId : undefined}
            >
              <span className="menu-text">{item.text}</span>
              {item.kind === "failed" && <span className="menu-detail">{item.detail}</span>}
              {item.kind === "failed" && item.refusal && (
                <span className="menu-detail menu-refusal" data-testid="rerun-item-refusal">
                  Not possible alone: {item.refusal}
                </span>
              )}
            </button>
          ))}
        </div>
      )}
    </span>
  );
}

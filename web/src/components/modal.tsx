import { type ReactNode, useEffect, useId, useRef } from "react";

/**
 * A modal built on <dialog>: the browser traps focus, Escape closes it, and focus returns to the
 * button that opened it.
 */
export function Modal(props: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer: ReactNode;
  wide?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { onClose } = props;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      onClose();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      opener?.focus?.();
    };
  }, [onClose]);
  return (
    <dialog
      ref={ref}
      className={`modal${props.wide ? " modal-wide" : ""}`}
      aria-labelledby={titleId}
      data-testid={props.testId}
    >
      <header className="modal-header">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
          ×
        </button>
      </header>
      <div className="modal-body">{props.children}</div>
      <footer className="modal-footer">{props.footer}</footer>
    </dialog>
  );
}

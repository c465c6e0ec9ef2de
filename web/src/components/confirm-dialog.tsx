import type { ReactNode } from "react";
import { Modal } from "./modal";

/** A yes/no question about an action, with the action's own words on the confirm button. */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  danger?: boolean;
  testId?: string;
}) {
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      testId={props.testId}
      footer={
        <>
          <button type="button" className="button" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={`button ${props.danger ? "danger" : "primary"}`}
            onClick={() => {
              props.onClose();
              props.onConfirm();
            }}
            data-testid="confirm-action"
          >
            {props.confirmLabel}
          </button>
        </>
      }
    >
      {props.children}
    </Modal>
  );
}

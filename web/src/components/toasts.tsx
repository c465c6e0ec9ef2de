import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from "react";

interface Toast {
  id: number;
  kind: "success" | "error";
  message: string;
}

interface Toaster {
  success(message: string): void;
  error(message: string): void;
}

const ToastContext = createContext<Toaster>({ success: () => undefined, error: () => undefined });

/** Success toasts go after 5 s; errors stay 12 s (long enough to read a 409 reason) or until closed. */
const LIFETIME_MS = { success: 5000, error: 12_000 } as const;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  const push = useCallback(
    (kind: Toast["kind"], message: string) => {
      const id = next.current++;
      // At most three at a time: older ones make way (they were announced already).
      setToasts((list) => [...list.slice(-2), { id, kind, message }]);
      window.setTimeout(() => dismiss(id), LIFETIME_MS[kind]);
    },
    [dismiss],
  );
  const toaster = useMemo<Toaster>(
    () => ({ success: (m) => push("success", m), error: (m) => push("error", m) }),
    [push],
  );
  return (
    <ToastContext.Provider value={toaster}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div
            key={t.id}
            className={`toast toast-${t.kind}`}
            role={t.kind === "error" ? "alert" : "status"}
            data-testid="toast"
          >
            <span className="toast-title">{t.kind === "error" ? "Error" : "Done"}</span>
            <span className="toast-message">{t.message}</span>
            <button type="button" className="toast-close" onClick={() => dismiss(t.id)} aria-label="Dismiss">
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToasts(): Toaster {
  return useContext(ToastContext);
}

import { useEffect, useState } from "react";
import { useApi } from "./context";

/** Why every action is disabled for a read-only token (the API would answer 403). */
export const READ_ONLY_REASON =
  "Your token is read-only: it can see runs but not start, resume, restart, rerun, pause, cancel or delete them.";

/**
 * The reason actions are disabled for this token, or null when it may act (or while that is not
 * known yet: the API still refuses a read-only token's action, with the same reason).
 */
export function useReadOnlyReason(): string | null {
  const client = useApi();
  const [readOnly, setReadOnly] = useState(false);
  useEffect(() => {
    let live = true;
    client
      .me()
      .then((me) => {
        if (live) setReadOnly(me.readOnly);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [client]);
  return readOnly ? READ_ONLY_REASON : null;
}

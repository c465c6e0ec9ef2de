import { type FormEvent, useState } from "react";
import { ApiClient } from "../api/client";
import { messageOf } from "../api/errors";

/**
 * Asks for an API token once per browser session. The token is checked against the API before it
 * is kept, and it is sent only in the Authorization header, never in a URL.
 */
export function TokenPage({ onToken, notice }: { onToken: (token: string) => void; notice: string | null }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setError("Paste a token first.");
      return;
    }
    setChecking(true);
    setError(null);
    let rejected = false;
    const client = new ApiClient({ token: value, onUnauthorized: () => (rejected = true) });
    try {
      await client.listWorkflows();
      onToken(value);
    } catch (cause) {
      setError(
        rejected ? "The server rejected this token (unknown, malformed or revoked)." : messageOf(cause),
      );
    } finally {
      setChecking(false);
    }
  };

  return (
    <main className="token-page" id="main">
      <form className="token-card" onSubmit={submit} noValidate>
        <h1>
          <img src="favicon.svg" alt="" width="28" height="28" /> Cairn
        </h1>
        <p>Enter an API token to see and act on your runs. It is kept for this browser tab only.</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor="token-input">API token</label>
        <input
          id="token-input"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          placeholder="cairn_…"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "token-error" : "token-help"}
        />
        {error && (
          <p id="token-error" className="field-error" role="alert">
            {error}
          </p>
        )}
        <p id="token-help" className="muted small">
          Create one with <code>npx cairn token create --tenant default</code>.
        </p>
        <button type="submit" className="button primary" disabled={checking}>
          {checking ? "Checking…" : "Continue"}
        </button>
      </form>
    </main>
  );
}

import { useCallback, useMemo, useState } from "react";
import { ApiClient } from "./api/client";
import { ApiContext } from "./api/context";
import { clearToken, readToken, saveToken } from "./api/token-store";
import { useReadOnlyReason } from "./api/use-read-only";
import { ErrorBoundary } from "./components/error-boundary";
import { ToastProvider } from "./components/toasts";
import { RunPage } from "./pages/run-page";
import { RunsPage } from "./pages/runs-page";
import { TokenPage } from "./pages/token-page";
import { WorkflowsPage } from "./pages/workflows-page";
import { parseRoute, runsHref, useHash, workflowHref } from "./router";

export function App() {
  const [token, setToken] = useState<string | null>(() => readToken());
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((reason: string | null) => {
    clearToken();
    setNotice(reason);
    setToken(null);
  }, []);

  const client = useMemo(
    () =>
      token
        ? new ApiClient({
            token,
            onUnauthorized: () =>
              signOut("The server no longer accepts your token (401). Enter a valid one."),
          })
        : null,
    [token, signOut],
  );

  if (!client)
    return (
      <TokenPage
        notice={notice}
        onToken={(value) => {
          saveToken(value);
          setNotice(null);
          setToken(value);
        }}
      />
    );

  return (
    <ApiContext.Provider value={client}>
      <ToastProvider>
        <Shell onSignOut={() => signOut("You forgot the token. Enter one to continue.")} />
      </ToastProvider>
    </ApiContext.Provider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const hash = useHash();
  const route = parseRoute(hash);
  const section = route.page === "workflows" ? "workflows" : "runs";
  const readOnly = useReadOnlyReason();
  return (
    <>
      <button type="button" className="skip-link" onClick={skipToMain}>
        Skip to content
      </button>
      <header className="topbar">
        <a className="brand" href={runsHref()}>
          <img src="favicon.svg" alt="" width="22" height="22" />
          Cairn
        </a>
        <nav aria-label="Main">
          <a href={runsHref()} aria-current={section === "runs" ? "page" : undefined}>
            Runs
          </a>
          <a href={workflowHref()} aria-current={section === "workflows" ? "page" : undefined}>
            Workflows
          </a>
        </nav>
        {readOnly && (
          <span className="read-only-tag small" title={readOnly} data-testid="read-only-tag">
            read-only token
          </span>
        )}
        <button type="button" className="button subtle" onClick={onSignOut}>
          Forget token
        </button>
      </header>
      <ErrorBoundary resetKey={hash}>
        {route.page === "runs" && <RunsPage filters={route.filters} />}
        {route.page === "run" && <RunPage key={route.runId} runId={route.runId} stepId={route.stepId} />}
        {route.page === "workflows" && <WorkflowsPage workflowId={route.workflowId} />}
        {route.page === "not-found" && (
          <main id="main" className="page">
            <h1>Not found</h1>
            <p>
              Nothing lives at <code>{route.path}</code>. Go to the <a href={runsHref()}>runs</a>.
            </p>
          </main>
        )}
      </ErrorBoundary>
    </>
  );
}

/** The skip link moves focus without touching the hash (the hash is the route). */
function skipToMain() {
  const main = document.getElementById("main");
  if (main) {
    main.tabIndex = -1;
    main.focus();
  }
}

/**
 * The API token lives in sessionStorage: it survives reloads of this tab, is gone when the tab
 * closes, and is never put in a URL (URLs end up in history and proxy logs).
 */
const KEY = "cairn.token";

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

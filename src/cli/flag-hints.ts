import { CairnError } from "../core/errors.js";

/**
 * The engine's sentences speak of options (`onChange "rerun"`, "pass it at start"), as the library and
 * the HTTP API name them; on the command line they name the flag to type instead.
 */
export function withFlags(message: string, error?: unknown): string {
  const missing =
    error instanceof CairnError ? (error.details as { missing?: unknown } | undefined)?.missing : undefined;
  let text = message.replace(
    /Choose onChange "rerun" to (.*?), or "keep" to (.*?)\./,
    "Pass --on-change rerun to $1, or --on-change keep to $2.",
  );
  text = text
    .replace("load the workflow from its new location", "pass its new location with --file")
    .replace("load the workflow from its file.", "pass the file (--file).");
  if (Array.isArray(missing) && missing.length > 0)
    text = text.replace(
      /pass (it|them) (at start|with the request) \(/,
      `pass ${missing.map((name) => `--secret ${String(name)}=…`).join(" ")} (`,
    );
  return text;
}

import { CairnError } from "../core/errors.js";
import type { CairnClient } from "../engine/client.js";
import type { AuthMode } from "./auth.js";
import type { CairnMetrics } from "./metrics/cairn-metrics.js";

export interface AppOptions {
  cairn: CairnClient;
  /** "tokens" (default): every /api request needs a bearer token. "none": local development only. */
  auth?: AuthMode;
  /** Larger request bodies get 413 before any parsing. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** How often an SSE stream polls the store for new events. Default 200 ms. */
  ssePollMs?: number;
  /** A comment line on idle SSE streams so proxies keep them open. Default 15 s. */
  sseKeepAliveMs?: number;
  /** A built web UI to serve at `/` (index.html and hashed assets), when given. */
  staticDir?: string | null;
  /** The metrics `/metrics` serves; default: new ones, counting from when the app is created. */
  metrics?: CairnMetrics | null;
  /**
   * Accept `run:` shell steps and `uses:` of a file in workflows stored over the API
   * (`PUT /api/workflows/{id}`). Default false: whoever may store a workflow could otherwise run any
   * command on the workers. `cairn serve --allow-api-shell`.
   */
  allowApiShell?: boolean;
  /** Told about unexpected errors (answered with a bare 500). Default: logged by the Cairn's logger. */
  onInternalError?: (error: unknown) => void;
}

export type ResolvedAppOptions = Readonly<Required<Omit<AppOptions, "cairn">>>;

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export function resolveAppOptions(options: AppOptions): ResolvedAppOptions {
  const resolved: ResolvedAppOptions = {
    auth: options.auth ?? "tokens",
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    ssePollMs: options.ssePollMs ?? 200,
    sseKeepAliveMs: options.sseKeepAliveMs ?? 15_000,
    staticDir: options.staticDir ?? null,
    metrics: options.metrics ?? null,
    allowApiShell: options.allowApiShell ?? false,
    onInternalError:
      options.onInternalError ?? ((error) => options.cairn.logger.error({ err: error }, "internal error")),
  };
  if (resolved.auth !== "tokens" && resolved.auth !== "none")
    throw new CairnError("INVALID_INPUT", `auth must be "tokens" or "none", got "${String(resolved.auth)}".`);
  for (const key of ["bodyLimitBytes", "ssePollMs", "sseKeepAliveMs"] as const)
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1)
      throw new CairnError(
        "INVALID_INPUT",
        `Option ${key} must be a positive whole number, got ${resolved[key]}.`,
      );
  return resolved;
}

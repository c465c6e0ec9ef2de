import type { MiddlewareHandler } from "hono";
import type { TokenStore } from "../store/tokens.js";
import { HttpError } from "./errors.js";
import { verifyToken } from "./tokens.js";

/** Who is asking: the tenant whose runs they may see, and whether they may act. */
export interface Principal {
  tenant: string;
  readOnly: boolean;
  /** The token's id (recorded as the actor of starts, resumes, cancels); null without auth. */
  tokenId: string | null;
}

export type AppEnv = { Variables: { principal: Principal } };

/** "tokens": every /api request needs a bearer token. "none": local development, tenant "default". */
export type AuthMode = "tokens" | "none";

const NO_AUTH: Principal = { tenant: "default", readOnly: false, tokenId: null };
/** Paths any client may read without a token: the API's own description (for client generators). */
const PUBLIC_PATHS = new Set(["/api/openapi.json"]);
const ANONYMOUS: Principal = { tenant: "", readOnly: true, tokenId: null };

/**
 * Bearer tokens from the Authorization header only: a token in a URL ends up in proxy logs and
 * browser history, so a query string is never consulted.
 */
export function authenticate(
  source: { readonly tokens: TokenStore },
  mode: AuthMode,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (mode === "none") {
      c.set("principal", NO_AUTH);
      return next();
    }
    const header = c.req.header("authorization");
    if (!header && PUBLIC_PATHS.has(c.req.path)) {
      c.set("principal", ANONYMOUS);
      return next();
    }
    if (!header)
      throw new HttpError("UNAUTHORIZED", "This request needs an Authorization: Bearer <token> header.");
    const match = /^Bearer +(\S+)\s*$/i.exec(header);
    const record = match ? await verifyToken(source.tokens, match[1]!) : undefined;
    if (!record)
      throw new HttpError("UNAUTHORIZED", "The bearer token is not valid (unknown, malformed or revoked).");
    c.set("principal", { tenant: record.tenant, readOnly: record.readOnly, tokenId: record.id });
    return next();
  };
}

/**
 * Whether the request's credentials still hold, for a response that outlives the request's check
 * (an event stream): false once its token was revoked. Without auth there is nothing to revoke.
 */
export function credentialsCheck(
  tokens: TokenStore,
  principal: Principal,
  authorization: string | undefined,
): () => Promise<boolean> {
  const token = /^Bearer +(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  if (principal.tokenId === null || token === undefined) return async () => true;
  return async () => (await verifyToken(tokens, token)) !== undefined;
}

/** Read-only tokens may read everything of their tenant and act on nothing. */
export function forbidReadOnlyActions(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && c.get("principal").readOnly)
      throw new HttpError(
        "FORBIDDEN",
        "This token is read-only; it cannot start, resume, restart, rerun, cancel, pause or delete runs.",
      );
    return next();
  };
}

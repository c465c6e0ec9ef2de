import { createHash, randomBytes } from "node:crypto";
import { CairnError } from "../core/errors.js";
import { newId } from "../engine/ids.js";
import type { TokenRecord, TokenStore } from "../store/tokens.js";

/** `cairn_` and 43 base64url characters (32 random bytes). */
export const TOKEN_PATTERN = /^cairn_[A-Za-z0-9_-]{43}$/;
export const TENANT_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The store keeps only this digest; a leaked database does not leak usable tokens. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export interface NewToken {
  /** The token's plain text: shown once, never stored. */
  token: string;
  record: TokenRecord;
}

/** Create a token for a tenant and store its hash. */
export async function createToken(
  store: TokenStore,
  options: { tenant: string; readOnly?: boolean; name?: string | null; now?: number },
): Promise<NewToken> {
  if (!TENANT_PATTERN.test(options.tenant))
    throw new CairnError(
      "USAGE",
      `Tenant "${options.tenant}" may only contain letters, digits, "_", "." and "-" (at most 64).`,
    );
  const token = `cairn_${randomBytes(32).toString("base64url")}`;
  const record: TokenRecord = {
    id: newId("tok"),
    tenant: options.tenant,
    name: options.name ?? null,
    hash: hashToken(token),
    readOnly: options.readOnly ?? false,
    createdAt: options.now ?? Date.now(),
    revokedAt: null,
  };
  await store.insertToken(record);
  return { token, record };
}

/** The token a plain-text secret belongs to, if it exists and is not revoked. */
export async function verifyToken(store: TokenStore, token: string): Promise<TokenRecord | undefined> {
  if (!TOKEN_PATTERN.test(token)) return undefined;
  const record = await store.findTokenByHash(hashToken(token));
  return record && record.revokedAt === null ? record : undefined;
}

export async function revokeToken(store: TokenStore, id: string, now = Date.now()): Promise<void> {
  if (!(await store.revokeToken(id, now)))
    throw new CairnError("NOT_FOUND", `Token "${id}" does not exist or is already revoked.`);
}

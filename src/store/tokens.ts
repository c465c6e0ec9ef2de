/** An API token: only a hash of its secret is stored. */
export interface TokenRecord {
  id: string;
  tenant: string;
  name: string | null;
  /** SHA-256 of the token's secret, hex. */
  hash: string;
  readOnly: boolean;
  createdAt: number;
  revokedAt: number | null;
}

/**
 * API tokens, kept beside the runs but no concern of the engine: only the HTTP server (which checks
 * them) and `cairn token` (which manages them) use this port. Each store implements it.
 */
export interface TokenStore {
  insertToken(token: TokenRecord): Promise<void>;
  /** Marks a token revoked; false when no such (unrevoked) token exists. */
  revokeToken(id: string, at: number): Promise<boolean>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  /** Every token, oldest first. */
  listTokens(): Promise<TokenRecord[]>;
}

export function isTokenStore(store: object): store is TokenStore {
  const s = store as Partial<TokenStore>;
  return (
    typeof s.insertToken === "function" &&
    typeof s.revokeToken === "function" &&
    typeof s.findTokenByHash === "function" &&
    typeof s.listTokens === "function"
  );
}

import { fromRow, TOKEN_COLUMNS } from "../columns.js";
import type { TokenRecord } from "../store.js";
import { insertSql, type StatementCache, values } from "./statements.js";

/** API tokens: only a hash of each secret is stored. */

export function insertToken(sql: StatementCache, token: TokenRecord): void {
  sql.run(insertSql(TOKEN_COLUMNS), ...values(TOKEN_COLUMNS, token));
}

export function revokeToken(sql: StatementCache, id: string, at: number): boolean {
  return sql.run("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", at, id) === 1;
}

export function findTokenByHash(sql: StatementCache, hash: string): TokenRecord | undefined {
  const row = sql.one("SELECT * FROM tokens WHERE hash = ?", hash);
  return row && fromRow(TOKEN_COLUMNS, row);
}

export function listTokens(sql: StatementCache): TokenRecord[] {
  return sql.all("SELECT * FROM tokens ORDER BY created_at").map((r) => fromRow(TOKEN_COLUMNS, r));
}

import { fromRow, TOKEN_COLUMNS } from "../columns.js";
import type { TokenRecord } from "../store.js";
import { insertSql, Params, type Queryable } from "./pg-sql.js";

/** API tokens: only a hash of each secret is stored. */

export async function insertToken(db: Queryable, token: TokenRecord): Promise<void> {
  const p = new Params();
  await db.query(insertSql(TOKEN_COLUMNS, [token], p), p.values);
}

export async function revokeToken(db: Queryable, id: string, at: number): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    [at, id],
  );
  return rowCount === 1;
}

export async function findTokenByHash(db: Queryable, hash: string): Promise<TokenRecord | undefined> {
  const { rows } = await db.query("SELECT * FROM tokens WHERE hash = $1", [hash]);
  return rows[0] && fromRow(TOKEN_COLUMNS, rows[0]);
}

export async function listTokens(db: Queryable): Promise<TokenRecord[]> {
  const { rows } = await db.query("SELECT * FROM tokens ORDER BY created_at, id");
  return rows.map((r) => fromRow(TOKEN_COLUMNS, r));
}

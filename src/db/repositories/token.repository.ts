import type { Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { ApiTokensTable } from '../schema.js';

export type TokenRow = Selectable<ApiTokensTable>;

export async function insertToken(
  db: Db,
  row: Omit<TokenRow, 'id' | 'last_used_at' | 'revoked_at' | 'revoked_reason' | 'revoked_by'>,
): Promise<TokenRow> {
  return db.insertInto('api_tokens').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The one indexed equality lookup an authenticated request costs, with the owner's account state. */
export async function findTokenByHash(db: Db, hash: string) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .selectAll('api_tokens')
    .select(['users.login as user_login', 'users.name as user_name', 'users.is_admin as user_is_admin', 'users.locked_at as user_locked_at'])
    .where('api_tokens.token_hash', '=', hash)
    .executeTakeFirst();
}

export async function findTokenById(db: Db, id: number): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTokensOfUser(db: Db, userId: number): Promise<TokenRow[]> {
  return db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

export async function countLiveTokens(db: Db, userId: number, nowIso: string): Promise<number> {
  const row = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function touchToken(db: Db, id: number, nowIso: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: nowIso }).where('id', '=', id).execute();
}

/** Revokes live tokens matching the filter; returns the ids revoked. */
export async function revokeTokens(
  db: Db,
  filter: { id?: number; userId?: number },
  revocation: { at: string; reason: string; by: number | null },
): Promise<number[]> {
  let q = db
    .updateTable('api_tokens')
    .set({ revoked_at: revocation.at, revoked_reason: revocation.reason, revoked_by: revocation.by })
    .where('revoked_at', 'is', null);
  if (filter.id !== undefined) q = q.where('id', '=', filter.id);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  const rows = await q.returning('id').execute();
  return rows.map((r) => r.id);
}

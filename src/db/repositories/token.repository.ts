import type { Selectable } from 'kysely';
import { changeStamp, type Db } from '../create-db.js';
import type { ApiTokensTable } from '../schema.js';

export type TokenRow = Selectable<ApiTokensTable>;

export async function insertToken(
  db: Db,
  row: Omit<TokenRow, 'id' | 'last_used_at' | 'revoked_at' | 'revoked_reason' | 'revoked_by'>,
): Promise<TokenRow> {
  return db.insertInto('api_tokens').values(row).returningAll().executeTakeFirstOrThrow();
}

function queryTokenByHash(db: Db, hash: string) {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .selectAll('api_tokens')
    .select(['users.login as user_login', 'users.name as user_name', 'users.is_admin as user_is_admin', 'users.locked_at as user_locked_at'])
    .where('api_tokens.token_hash', '=', hash)
    .executeTakeFirst();
}

export type TokenWithOwner = NonNullable<Awaited<ReturnType<typeof queryTokenByHash>>>;

/** Rows found by hash, valid only while the database's change stamp is the one they were read under. */
const tokenRows = new WeakMap<Db, { stamp: string; rows: Map<string, TokenWithOwner> }>();
const MAX_CACHED_TOKENS = 10_000;

/**
 * The token with this hash and its owner's account state: the one lookup an authenticated
 * request costs. Where the database can prove nothing changed since a row was read (SQLite: no
 * write here and no commit by any other process, see changeStamp), the row is reused; any
 * change at all (a revocation, a lock, a publish) drops every reused row at once, so a revoked
 * token is refused on its very next request, on every instance. Elsewhere it is always queried.
 */
export async function findTokenByHash(db: Db, hash: string): Promise<TokenWithOwner | undefined> {
  const stamp = changeStamp(db);
  const reused = reusableRow(db, stamp, hash);
  if (reused) return reused;
  const row = await queryTokenByHash(db, hash);
  // Kept only if nothing changed while the query waited for the connection and ran.
  if (row && stamp !== null && changeStamp(db) === stamp) {
    let cache = tokenRows.get(db);
    if (!cache || cache.stamp !== stamp) {
      cache = { stamp, rows: new Map() };
      tokenRows.set(db, cache);
    }
    if (cache.rows.size >= MAX_CACHED_TOKENS) cache.rows.clear();
    cache.rows.set(hash, row);
  }
  return row;
}

/**
 * The row `findTokenByHash` would return, when it can be known without a query: a row read
 * under the current change stamp. Undefined means "ask findTokenByHash", not "no such token".
 */
export function peekTokenByHash(db: Db, hash: string): TokenWithOwner | undefined {
  return reusableRow(db, changeStamp(db), hash);
}

function reusableRow(db: Db, stamp: string | null, hash: string): TokenWithOwner | undefined {
  if (stamp === null) return undefined;
  const cached = tokenRows.get(db);
  return cached && cached.stamp === stamp ? cached.rows.get(hash) : undefined;
}

export async function findTokenById(db: Db, id: number): Promise<TokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listTokensOfUser(db: Db, userId: number): Promise<TokenRow[]> {
  return db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

/** Live (not revoked, not expired) tokens of one user, or of the whole registry when userId is null. */
export async function countLiveTokens(db: Db, userId: number | null, nowIso: string): Promise<number> {
  let q = db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]));
  if (userId !== null) q = q.where('user_id', '=', userId);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function touchToken(db: Db, id: number, nowIso: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: nowIso }).where('id', '=', id).execute();
}

/** Revokes live tokens matching the filter; returns those revoked (id, owner, name). */
export async function revokeTokens(
  db: Db,
  filter: { id?: number; userId?: number },
  revocation: { at: string; reason: string; by: number | null },
): Promise<{ id: number; user_id: number; name: string }[]> {
  let q = db
    .updateTable('api_tokens')
    .set({ revoked_at: revocation.at, revoked_reason: revocation.reason, revoked_by: revocation.by })
    .where('revoked_at', 'is', null);
  if (filter.id !== undefined) q = q.where('id', '=', filter.id);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  return q.returning(['id', 'user_id', 'name']).execute();
}

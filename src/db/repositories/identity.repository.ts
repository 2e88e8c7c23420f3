import type { Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { OidcIdentitiesTable } from '../schema.js';

export type OidcIdentityRow = Selectable<OidcIdentitiesTable>;

export async function findOidcIdentity(db: Db, issuer: string, subject: string): Promise<OidcIdentityRow | undefined> {
  return db.selectFrom('oidc_identities').selectAll().where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
}

export async function listOidcIdentities(db: Db, filter: { userId?: number; issuer?: string }): Promise<OidcIdentityRow[]> {
  let q = db.selectFrom('oidc_identities').selectAll().orderBy('id');
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.issuer !== undefined) q = q.where('issuer', '=', filter.issuer);
  return q.limit(100_000).execute();
}

export async function insertOidcIdentity(
  db: Db,
  row: { userId: number; issuer: string; subject: string; email: string | null; refreshToken: string | null; at: string },
): Promise<void> {
  await db
    .insertInto('oidc_identities')
    .values({ user_id: row.userId, issuer: row.issuer, subject: row.subject, email: row.email, refresh_token: row.refreshToken, created_at: row.at, last_login_at: row.at })
    .execute();
}

/** After a sign-in: the e-mail it showed and, when the provider sent one, its new refresh token. */
export async function touchOidcIdentity(db: Db, id: number, update: { email: string | null; refreshToken?: string | null; at: string }): Promise<void> {
  await db
    .updateTable('oidc_identities')
    .set({ email: update.email, last_login_at: update.at, ...(update.refreshToken !== undefined ? { refresh_token: update.refreshToken } : {}) })
    .where('id', '=', id)
    .execute();
}

export async function deleteOidcIdentity(db: Db, userId: number, id: number): Promise<number> {
  const result = await db.deleteFrom('oidc_identities').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function insertPendingForm(db: Db, row: { idHash: string; sessionHash: string; action: string; fields: string; expiresAt: string }): Promise<void> {
  await db.insertInto('pending_forms').values({ id_hash: row.idHash, session_hash: row.sessionHash, action: row.action, fields: row.fields, expires_at: row.expiresAt }).execute();
}

/** Takes a pending form out (it is used once); expired ones are swept at the same time. */
export async function takePendingForm(db: Db, idHash: string, sessionHash: string, now: string): Promise<{ action: string; fields: string } | undefined> {
  await db.deleteFrom('pending_forms').where('expires_at', '<=', now).execute();
  const row = await db.selectFrom('pending_forms').select(['action', 'fields']).where('id_hash', '=', idHash).where('session_hash', '=', sessionHash).executeTakeFirst();
  if (row) await db.deleteFrom('pending_forms').where('id_hash', '=', idHash).execute();
  return row;
}

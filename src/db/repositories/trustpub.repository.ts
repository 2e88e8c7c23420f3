import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { TrustpubConfigsTable, TrustpubTokensTable } from '../schema.js';

export type TrustpubConfigRow = Selectable<TrustpubConfigsTable> & { crate_name: string };
export type TrustpubTokenRow = Selectable<TrustpubTokensTable>;
export type TrustpubKind = TrustpubConfigsTable['kind'];

function configsWithCrate(db: Db) {
  return db.selectFrom('trustpub_configs').innerJoin('crates', 'crates.id', 'trustpub_configs.crate_id').selectAll('trustpub_configs').select('crates.name as crate_name');
}

export async function insertConfig(db: Db, row: Insertable<TrustpubConfigsTable>): Promise<number> {
  const inserted = await db.insertInto('trustpub_configs').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

export async function findConfig(db: Db, kind: TrustpubKind, id: number): Promise<TrustpubConfigRow | undefined> {
  return configsWithCrate(db).where('trustpub_configs.kind', '=', kind).where('trustpub_configs.id', '=', id).executeTakeFirst();
}

export async function listConfigsOfCrate(db: Db, kind: TrustpubKind, crateId: number): Promise<TrustpubConfigRow[]> {
  return configsWithCrate(db).where('trustpub_configs.kind', '=', kind).where('trustpub_configs.crate_id', '=', crateId).orderBy('trustpub_configs.id').execute();
}


/** Every configuration naming this repository (GitHub) or project (GitLab), case-insensitively. */
export async function listConfigsByMatchKey(db: Db, kind: TrustpubKind, matchKey: string): Promise<TrustpubConfigRow[]> {
  return configsWithCrate(db).where('trustpub_configs.kind', '=', kind).where('trustpub_configs.match_key', '=', matchKey).orderBy('trustpub_configs.id').execute();
}

export async function deleteConfig(db: Db, id: number): Promise<void> {
  await db.deleteFrom('trustpub_configs').where('id', '=', id).execute();
}

/** Records the owner's numeric id and issuer of the first exchange; only where none is recorded yet. */
export async function pinConfigOwner(db: Db, ids: readonly number[], ownerId: string, issuer: string): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('trustpub_configs').set({ owner_id: ownerId, issuer }).where('id', 'in', ids).where('owner_id', 'is', null).execute();
}

/**
 * Marks a JWT id used; false when it was used before (the primary key refuses it). Expired ids are
 * dropped first. On PostgreSQL two exchanges at once would each lock the same expired rows, perhaps
 * in different orders, and one could die in a deadlock: each skips the rows the other holds (they
 * are being deleted anyway). SQLite has one writer at a time.
 */
export async function claimJti(db: Db, { jti, expiresAt, nowIso, postgres }: { jti: string; expiresAt: string; nowIso: string; postgres: boolean }): Promise<boolean> {
  const expired = db.selectFrom('trustpub_used_jtis').select('jti').where('expires_at', '<', nowIso);
  await db
    .deleteFrom('trustpub_used_jtis')
    .where('jti', 'in', postgres ? expired.forUpdate().skipLocked() : expired)
    .execute();
  const inserted = await db.insertInto('trustpub_used_jtis').values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column('jti').doNothing()).returning('jti').executeTakeFirst();
  return inserted !== undefined;
}

export async function insertTrustpubToken(db: Db, row: Insertable<TrustpubTokensTable>): Promise<number> {
  const inserted = await db.insertInto('trustpub_tokens').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

export async function findTrustpubTokenByHash(db: Db, hash: string): Promise<TrustpubTokenRow | undefined> {
  return db.selectFrom('trustpub_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export async function revokeTrustpubToken(db: Db, id: number, at: string, reason: string): Promise<boolean> {
  const rows = await db.updateTable('trustpub_tokens').set({ revoked_at: at, revoked_reason: reason }).where('id', '=', id).where('revoked_at', 'is', null).returning('id').execute();
  return rows.length > 0;
}

/** Revokes the live tokens minted through configuration `configId` (a few at most: they live 30 minutes). */
export async function revokeTokensOfConfig(db: Db, configId: number, nowIso: string): Promise<number> {
  const live = await db.selectFrom('trustpub_tokens').select(['id', 'config_ids']).where('revoked_at', 'is', null).where('expires_at', '>', nowIso).execute();
  const ids = live.filter((t) => (JSON.parse(t.config_ids) as number[]).includes(configId)).map((t) => t.id);
  if (ids.length === 0) return 0;
  await db.updateTable('trustpub_tokens').set({ revoked_at: nowIso, revoked_reason: 'its trusted publishing configuration was removed' }).where('id', 'in', ids).execute();
  return ids.length;
}

export async function setTrustpubOnly(db: Db, crateId: number, value: boolean): Promise<void> {
  await db.updateTable('crates').set({ trustpub_only: value ? 1 : 0 }).where('id', '=', crateId).execute();
}

export async function crateNamesByIds(db: Db, ids: readonly number[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('crates').select('name').where('id', 'in', ids).orderBy('name').execute();
  return rows.map((r) => r.name);
}

import type { Db } from '../create-db.js';
import type { EmailVerificationsTable } from '../schema.js';

/** A user's address and whether it may receive mail. */
export async function findMailbox(db: Db, userId: number): Promise<{ login: string; email: string | null; verified: boolean; locked: boolean } | undefined> {
  const row = await db.selectFrom('users').select(['login', 'email', 'email_verified_at', 'locked_at']).where('id', '=', userId).executeTakeFirst();
  return row && { login: row.login, email: row.email, verified: row.email_verified_at !== null, locked: row.locked_at !== null };
}

export async function ownerIdsOfCrate(db: Db, crateId: number): Promise<number[]> {
  const rows = await db.selectFrom('crate_owners').select('user_id').where('crate_id', '=', crateId).orderBy('user_id').execute();
  return rows.map((r) => r.user_id);
}

export async function tokenName(db: Db, tokenId: number): Promise<string | undefined> {
  return (await db.selectFrom('api_tokens').select('name').where('id', '=', tokenId).executeTakeFirst())?.name;
}

/** Owners who turned off publish notices of the crate. */
export async function publishOptouts(db: Db, crateId: number): Promise<Set<number>> {
  const rows = await db.selectFrom('publish_notice_optouts').select('user_id').where('crate_id', '=', crateId).execute();
  return new Set(rows.map((r) => r.user_id));
}

/** The crates a user owns, each with whether its publish notices reach them. */
export async function ownedCratesWithNotices(db: Db, userId: number): Promise<{ id: number; name: string; notices: boolean }[]> {
  const rows = await db
    .selectFrom('crate_owners')
    .innerJoin('crates', 'crates.id', 'crate_owners.crate_id')
    .leftJoin('publish_notice_optouts as o', (j) => j.onRef('o.crate_id', '=', 'crates.id').on('o.user_id', '=', userId))
    .select(['crates.id', 'crates.name', 'o.user_id as optout'])
    .where('crate_owners.user_id', '=', userId)
    .orderBy('crates.canonical_name')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, notices: r.optout === null }));
}

export async function setPublishOptout(db: Db, userId: number, crateId: number, off: boolean): Promise<void> {
  if (off) {
    await db.insertInto('publish_notice_optouts').values({ user_id: userId, crate_id: crateId }).onConflict((oc) => oc.columns(['user_id', 'crate_id']).doNothing()).execute();
  } else {
    await db.deleteFrom('publish_notice_optouts').where('user_id', '=', userId).where('crate_id', '=', crateId).execute();
  }
}

/** Sets a user's address, unverified (null removes it); its pending links stop working. */
export async function setEmail(db: Db, userId: number, email: string | null, nowIso: string): Promise<void> {
  await db.updateTable('users').set({ email, email_verified_at: null }).where('id', '=', userId).execute();
  await db.updateTable('email_verifications').set({ used_at: nowIso }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
}

export async function markEmailVerified(db: Db, userId: number, nowIso: string): Promise<void> {
  await db.updateTable('users').set({ email_verified_at: nowIso }).where('id', '=', userId).execute();
  await db.updateTable('email_verifications').set({ used_at: nowIso }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
}

export async function insertVerification(db: Db, row: Omit<EmailVerificationsTable, 'used_at'>): Promise<void> {
  await db.insertInto('email_verifications').values({ ...row, used_at: null }).execute();
}

/**
 * Uses a verification link once: marks it used when it is unused, unexpired and still names the
 * user's current address. Returns the user, or undefined when the link does nothing.
 */
export async function consumeVerification(db: Db, tokenHash: string, nowIso: string): Promise<{ userId: number; email: string } | undefined> {
  const used = await db
    .updateTable('email_verifications')
    .set({ used_at: nowIso })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', nowIso)
    .returning(['user_id', 'email'])
    .executeTakeFirst();
  if (!used) return undefined;
  const user = await db.selectFrom('users').select('email').where('id', '=', used.user_id).executeTakeFirst();
  return user?.email === used.email ? { userId: used.user_id, email: used.email } : undefined;
}

/** Live tokens that expire in (fromIso, toIso], with their owners: the expiry reminder's list. */
export async function tokensExpiringBetween(db: Db, fromIso: string, toIso: string): Promise<{ id: number; user_id: number; name: string; expires_at: string }[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .select(['id', 'user_id', 'name', 'expires_at'])
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', fromIso)
    .where('expires_at', '<=', toIso)
    .execute();
  return rows.map((r) => ({ ...r, expires_at: r.expires_at ?? toIso }));
}

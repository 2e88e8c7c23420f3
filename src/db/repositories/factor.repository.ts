import type { Selectable } from 'kysely';
import type { Db } from '../create-db.js';
import type { AuthChallengesTable, WebauthnCredentialsTable } from '../schema.js';

/** The SQL of second factors: TOTP secrets, recovery codes, WebAuthn credentials, challenges. */

export interface TotpRow {
  user_id: number;
  secret: string;
  confirmed_at: string | null;
  last_step: number | null;
}

export async function findTotp(db: Db, userId: number): Promise<TotpRow | undefined> {
  const row = await db.selectFrom('user_totp').select(['user_id', 'secret', 'confirmed_at', 'last_step']).where('user_id', '=', userId).executeTakeFirst();
  // PostgreSQL returns bigint as text.
  return row && { ...row, last_step: row.last_step === null ? null : Number(row.last_step) };
}

/** A new, unconfirmed secret replaces an unconfirmed one; a confirmed one stays until removed. */
export async function putPendingTotp(db: Db, userId: number, secret: string, now: string): Promise<boolean> {
  await db.deleteFrom('user_totp').where('user_id', '=', userId).where('confirmed_at', 'is', null).execute();
  const inserted = await db
    .insertInto('user_totp')
    .values({ user_id: userId, secret, confirmed_at: null, last_step: null, created_at: now })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
}

/**
 * Takes time step `step` for the user: true only when no code of this step or a later one was
 * accepted before. One UPDATE, so two requests racing with the same code cannot both win.
 */
export async function claimTotpStep(db: Db, userId: number, step: number, confirmAt: string | null): Promise<boolean> {
  let query = db
    .updateTable('user_totp')
    .set(confirmAt ? { last_step: step, confirmed_at: confirmAt } : { last_step: step })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]));
  query = confirmAt ? query.where('confirmed_at', 'is', null) : query.where('confirmed_at', 'is not', null);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteTotp(db: Db, userId: number): Promise<number> {
  const result = await db.deleteFrom('user_totp').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function replaceRecoveryCodes(db: Db, userId: number, hashes: readonly string[], now: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
  if (hashes.length > 0) {
    await db
      .insertInto('recovery_codes')
      .values(hashes.map((code_hash) => ({ user_id: userId, code_hash, used_at: null, created_at: now })))
      .execute();
  }
}

/** Marks an unused code used; true when this call did (a code works once, races included). */
export async function useRecoveryCode(db: Db, userId: number, hash: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('recovery_codes')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) >= 1;
}

export async function countUnusedRecoveryCodes(db: Db, userId: number): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteRecoveryCodes(db: Db, userId: number): Promise<number> {
  const result = await db.deleteFrom('recovery_codes').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export type CredentialRow = Omit<Selectable<WebauthnCredentialsTable>, 'counter'> & { counter: number };

const asCredential = (row: Selectable<WebauthnCredentialsTable>): CredentialRow => ({ ...row, counter: Number(row.counter) });

export async function listCredentials(db: Db, userId: number): Promise<CredentialRow[]> {
  const rows = await db.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).orderBy('id').execute();
  return rows.map(asCredential);
}

export async function findCredential(db: Db, credentialId: string): Promise<CredentialRow | undefined> {
  const row = await db.selectFrom('webauthn_credentials').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  return row && asCredential(row);
}

export async function insertCredential(db: Db, row: Omit<CredentialRow, 'id' | 'last_used_at'>): Promise<void> {
  await db.insertInto('webauthn_credentials').values({ ...row, last_used_at: null }).execute();
}

export async function touchCredential(db: Db, id: number, counter: number, now: string): Promise<void> {
  await db.updateTable('webauthn_credentials').set({ counter, last_used_at: now }).where('id', '=', id).execute();
}

export async function renameCredential(db: Db, userId: number, id: number, name: string): Promise<boolean> {
  const result = await db.updateTable('webauthn_credentials').set({ name }).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteCredential(db: Db, userId: number, id: number): Promise<CredentialRow | undefined> {
  const row = await db.selectFrom('webauthn_credentials').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  if (!row) return undefined;
  await db.deleteFrom('webauthn_credentials').where('id', '=', id).execute();
  return asCredential(row);
}

export async function deleteCredentials(db: Db, userId: number): Promise<number> {
  const result = await db.deleteFrom('webauthn_credentials').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Which users have which factor, for the admin's list. */
export async function factorCounts(db: Db): Promise<Map<number, { totp: boolean; passkeys: number }>> {
  const out = new Map<number, { totp: boolean; passkeys: number }>();
  for (const row of await db.selectFrom('user_totp').select('user_id').where('confirmed_at', 'is not', null).execute()) {
    out.set(row.user_id, { totp: true, passkeys: 0 });
  }
  const keys = await db
    .selectFrom('webauthn_credentials')
    .select(['user_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .groupBy('user_id')
    .execute();
  for (const row of keys) out.set(row.user_id, { totp: out.get(row.user_id)?.totp ?? false, passkeys: Number(row.n) });
  return out;
}

export type ChallengeRow = Selectable<AuthChallengesTable>;

export async function putChallenge(db: Db, row: ChallengeRow): Promise<void> {
  await db
    .insertInto('auth_challenges')
    .values(row)
    .onConflict((oc) => oc.column('key_hash').doUpdateSet({ purpose: row.purpose, user_id: row.user_id, challenge: row.challenge, detail: row.detail, expires_at: row.expires_at }))
    .execute();
}

export async function findChallenge(db: Db, keyHash: string, now: string): Promise<ChallengeRow | undefined> {
  return db.selectFrom('auth_challenges').selectAll().where('key_hash', '=', keyHash).where('expires_at', '>', now).executeTakeFirst();
}

/** Removes a challenge; true when this call did, so a challenge is answered once. */
export async function takeChallenge(db: Db, keyHash: string): Promise<boolean> {
  const result = await db.deleteFrom('auth_challenges').where('key_hash', '=', keyHash).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function deleteExpiredChallenges(db: Db, now: string): Promise<void> {
  await db.deleteFrom('auth_challenges').where('expires_at', '<=', now).execute();
}

export async function setFactorReset(db: Db, userId: number, now: string): Promise<void> {
  await db
    .insertInto('factor_resets')
    .values({ user_id: userId, reset_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ reset_at: now }))
    .execute();
}

/** The time of an administrator's reset not yet told to the user, cleared by reading it. */
export async function takeFactorReset(db: Db, userId: number): Promise<string | null> {
  const row = await db.selectFrom('factor_resets').select('reset_at').where('user_id', '=', userId).executeTakeFirst();
  if (!row) return null;
  await db.deleteFrom('factor_resets').where('user_id', '=', userId).execute();
  return row.reset_at;
}

import type { Db } from '../create-db.js';

export interface SessionListRow {
  id: number;
  created_at: string;
  last_seen_at: string | null;
  user_agent: string | null;
  address: string | null;
  method: string | null;
  session_hash: string;
}

/** The live sessions of an account, newest first. */
export async function listLiveSessions(db: Db, userId: number, now: string): Promise<SessionListRow[]> {
  return db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_seen_at', 'user_agent', 'address', 'method', 'session_hash'])
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
}

/** Ends one session of an account; the count says whether it was live and theirs. */
export async function endSessionById(db: Db, userId: number, id: number, now: string): Promise<number> {
  const result = await db.updateTable('sessions').set({ ended_at: now }).where('id', '=', id).where('user_id', '=', userId).where('ended_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Sets the session's last-seen time to `now` unless it was set after `dueBefore`: the condition is
 * in the statement, so when several instances see the same session at once only one writes.
 */
export async function touchSession(db: Db, sessionHash: string, now: string, dueBefore: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: now })
    .where('session_hash', '=', sessionHash)
    .where((eb) => eb.or([eb('last_seen_at', 'is', null), eb('last_seen_at', '<=', dueBefore)]))
    .execute();
}

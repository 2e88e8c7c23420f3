import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { forbidden, unauthorized } from '../core/errors.js';
import type { Actor } from './actor.js';
import type { ServiceContext } from './context.js';

/** Browser sessions: an opaque random cookie; the database keeps only its hash. */
export const SESSION_COOKIE = 'wharf_session';
export const SESSION_DAYS = 14;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Starts a session and returns the cookie value, which is stored nowhere. */
export async function createSession(ctx: ServiceContext, userId: number): Promise<string> {
  const value = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('sessions')
    .values({
      user_id: userId,
      session_hash: sha256(value),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_DAYS * 86_400_000).toISOString(),
    })
    .execute();
  return value;
}

export async function endSession(ctx: ServiceContext, value: string): Promise<void> {
  await ctx.db.updateTable('sessions').set({ ended_at: ctx.clock.now().toISOString() }).where('session_hash', '=', sha256(value)).execute();
}

/** Ends every live session of a user: at a password change, a lock, or "sign out everywhere". */
export async function endAllSessions(ctx: ServiceContext, userId: number): Promise<void> {
  await ctx.db
    .updateTable('sessions')
    .set({ ended_at: ctx.clock.now().toISOString() })
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .execute();
}

/** The actor of a live session, or null when the cookie names no live session. */
export async function sessionActor(ctx: ServiceContext, value: string): Promise<Actor | null> {
  const now = ctx.clock.now().toISOString();
  const row = await ctx.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.login', 'users.name', 'users.is_admin', 'users.locked_at', 'sessions.expires_at', 'sessions.ended_at'])
    .where('sessions.session_hash', '=', sha256(value))
    .executeTakeFirst();
  if (!row || row.ended_at || row.expires_at <= now) return null;
  if (row.locked_at) throw forbidden(`the account \`${row.login}\` is locked`);
  return { userId: row.id, login: row.login, name: row.name, isAdmin: row.is_admin === 1, token: null };
}

/**
 * The CSRF token of a session: derived from the cookie value, so a page can embed it and the
 * server can check it without storing anything, while another site, lacking the cookie, cannot.
 */
export function csrfTokenFor(sessionValue: string): string {
  return createHash('sha256').update(`csrf:${sessionValue}`, 'utf8').digest('base64url');
}

export function checkCsrf(sessionValue: string, presented: string | undefined): void {
  const expected = Buffer.from(csrfTokenFor(sessionValue));
  const given = Buffer.from(presented ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw forbidden('missing or wrong CSRF token: reload the page and try again');
  }
}

export function requireSessionActor(actor: Actor | null): Actor {
  if (!actor) throw unauthorized('sign in on the web to manage tokens');
  return actor;
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type AppError, forbidden, unauthorized } from '../core/errors.js';
import type { Actor } from './actor.js';
import type { ServiceContext } from './context.js';
import { touchSession } from '../db/repositories/session.repository.js';

/** Browser sessions: an opaque random cookie; the database keeps only its hash. */
export const SESSION_COOKIE = 'wharf_session';
export const SESSION_DAYS = 14;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** What the sessions list shows of a session: how it signed in and from where. */
export interface SessionOrigin {
  method?: string;
  userAgent?: string;
  address?: string;
}

/** Starts a session and returns the cookie value, which is stored nowhere. */
export async function createSession(ctx: ServiceContext, userId: number, origin: SessionOrigin = {}): Promise<string> {
  const value = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  await ctx.db
    .insertInto('sessions')
    .values({
      user_id: userId,
      session_hash: sha256(value),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_DAYS * 86_400_000).toISOString(),
      // A sign-in has just proved the password.
      reauth_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      method: origin.method ?? null,
      user_agent: origin.userAgent?.slice(0, 300) ?? null,
      address: origin.address ?? null,
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

/** A live session: who it is, and when it last proved the password. */
export interface LiveSession {
  actor: Actor;
  reauthAt: string | null;
}

/** Last-seen times are written at most this often per session (not at every request). */
const TOUCH_MS = 5 * 60_000;

/** The live session a cookie names, or null. A locked account's session is refused (403). */
export async function liveSession(ctx: ServiceContext, value: string): Promise<LiveSession | null> {
  const now = ctx.clock.now().toISOString();
  const row = await ctx.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.login', 'users.name', 'users.is_admin', 'users.locked_at', 'sessions.expires_at', 'sessions.ended_at', 'sessions.reauth_at', 'sessions.last_seen_at'])
    .where('sessions.session_hash', '=', sha256(value))
    .executeTakeFirst();
  if (!row || row.ended_at || row.expires_at <= now) return null;
  if (row.locked_at) throw forbidden(`the account \`${row.login}\` is locked`);
  // Kept in the database, so every instance reads and moves the same time.
  const dueBefore = new Date(Date.parse(now) - TOUCH_MS).toISOString();
  if (!row.last_seen_at || row.last_seen_at <= dueBefore) await touchSession(ctx.db, sha256(value), now, dueBefore);
  return { actor: { userId: row.id, login: row.login, name: row.name, isAdmin: row.is_admin === 1, token: null }, reauthAt: row.reauth_at };
}

/**
 * Whether the session proved its password recently enough for what a stolen cookie must not do
 * (create tokens, revoke all of them, admin actions): the "sudo" window, `reauth_minutes` long.
 */
export function recentlyAuthenticated(ctx: ServiceContext, session: LiveSession): boolean {
  const until = reauthUntil(ctx, session);
  return until !== null && ctx.clock.now().getTime() < until.getTime();
}

/** When the session's re-authentication window closes (null: it never opened). */
export function reauthUntil(ctx: ServiceContext, session: Pick<LiveSession, 'reauthAt'>): Date | null {
  if (!session.reauthAt) return null;
  return new Date(Date.parse(session.reauthAt) + ctx.config.reauthMinutes * 60_000);
}

/** The stored form of a cookie value (pending forms are bound to it). */
export const sessionHash = (value: string): string => sha256(value);

/** Opens the window again after the password was re-entered. */
export async function markReauthenticated(ctx: ServiceContext, value: string): Promise<void> {
  await ctx.db.updateTable('sessions').set({ reauth_at: ctx.clock.now().toISOString() }).where('session_hash', '=', sha256(value)).execute();
}

/** The refusal of a sensitive action outside the window, for the API (the pages ask for the password instead). */
export function reauthRequired(ctx: ServiceContext): AppError {
  return forbidden(
    `this action needs your password again (you signed in or confirmed it more than ${ctx.config.reauthMinutes} minutes ago): ` +
      `re-enter your password at ${ctx.config.publicUrl}/confirm-password, then try again`,
  );
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

import { badRequest, forbidden, notFound, unauthorized } from '../core/errors.js';
import { findUserById, findUserByLogin, type UserRow } from '../db/repositories/user.repository.js';
import type { Actor } from './actor.js';
import { queueVerification } from './mail/email-verification.service.js';
import { notifySecurityEvent } from './mail/mail-queue.js';
import { recordAudit } from './audit.service.js';
import { isoNow, type ServiceContext } from './context.js';
import type { VerifiedUser } from './identity.service.js';
import { hashPassword, passwordProblem } from './password.service.js';
import { createSession, endAllSessions, endSession, type SessionOrigin } from './session.service.js';
import { type Operator, revokeAllTokens } from './token.service.js';
import { createUser, type NewUser } from './user.service.js';

/**
 * Accounts as people use them on the web: signing in and out, passwords, and what admins do
 * to accounts. (The few UPDATEs live here until the repositories are free to grow.)
 */

/**
 * Starts a browser session for a user some identity provider vouched for. The cookie the
 * browser came with, if any, is ended and never reused: a new id at every sign-in stops
 * session fixation.
 */
export async function startSession(ctx: ServiceContext, user: VerifiedUser, providerId: string, previousCookie?: string, origin: SessionOrigin = {}): Promise<string> {
  if (previousCookie) await endSession(ctx, previousCookie);
  // Re-read: the lock may have been set while the provider was checking.
  const fresh = await findUserById(ctx.db, user.id);
  if (!fresh) throw unauthorized('wrong login or password');
  if (fresh.locked_at) throw forbidden(`the account \`${fresh.login}\` is locked; ask an administrator`);
  // A way in this account never used before (a new passkey sign-in, the first single sign-on)
  // is worth telling its owner about; the very first sign-in of an account is not.
  const earlier = await ctx.db.selectFrom('sessions').select(['method']).where('user_id', '=', fresh.id).execute();
  const cookie = await createSession(ctx, fresh.id, { ...origin, method: providerId });
  await recordAudit(ctx.db, ctx.clock, { action: 'user.login', userId: fresh.id, tokenId: null, detail: { via: providerId } });
  if (earlier.length > 0 && !earlier.some((s) => s.method === providerId)) {
    await notifySecurityEvent(ctx.db, ctx, { userId: fresh.id, event: 'new-sign-in-method', detail: `signed in with ${providerId}`, key: `${fresh.id}:${providerId}` });
  }
  return cookie;
}

export async function signOut(ctx: ServiceContext, cookie: string): Promise<void> {
  await endSession(ctx, cookie);
}

export function checkPassword(password: string, login: string): void {
  const problem = passwordProblem(password, login);
  if (problem) throw badRequest(problem);
}

/** Sets a password after checking its rule; every session of the account ends. */
export async function storePassword(ctx: ServiceContext, user: UserRow, password: string, by: Operator): Promise<void> {
  checkPassword(password, user.login);
  const hash = await hashPassword(password);
  await ctx.db.transaction().execute(async (tx) => {
    await tx.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
    await recordAudit(tx, ctx.clock, {
      action: 'user.password',
      userId: by.actor?.userId ?? null,
      tokenId: null,
      detail: { user_id: user.id, login: user.login, ...(by.via ? { via: by.via } : {}) },
    });
  });
  // Whoever knew the old password may hold a session: every session of the account ends.
  await endAllSessions(ctx, user.id);
}

/** Sets a user's password (admins, the CLI). Every session of that user ends. */
export async function setPassword(ctx: ServiceContext, userId: number, password: string, by: Operator): Promise<void> {
  const user = await findUserById(ctx.db, userId);
  if (!user) throw notFound(`no user with id ${userId}`);
  await storePassword(ctx, user, password, by);
}

const WRONG_CURRENT_PASSWORD = 'the current password is not right';

export interface PasswordChange {
  current: string;
  next: string;
  confirm: string;
  /** Also revoke every API token of the account: whoever knew the old password may have made some. */
  revokeTokens: boolean;
}

/**
 * A signed-in user changes their own password. Every session ends, the current one included;
 * the returned cookie is a fresh session for the browser that made the change. `confirmCurrent`
 * checks the current password (the caller puts it under the sign-in limits).
 */
export async function changeOwnPassword(
  ctx: ServiceContext,
  actor: Actor,
  change: PasswordChange,
  confirmCurrent: (password: string) => Promise<boolean>,
): Promise<{ cookie: string; revokedTokens: number }> {
  const user = await findUserById(ctx.db, actor.userId);
  if (!user) throw unauthorized('sign in again');
  if (!user.password_hash || !(await confirmCurrent(change.current))) throw badRequest(WRONG_CURRENT_PASSWORD);
  if (change.next !== change.confirm) throw badRequest('the new password and its confirmation differ');
  await storePassword(ctx, user, change.next, { actor });
  const revokedTokens = change.revokeTokens ? await revokeAllTokens(ctx, { actor }, { userId: user.id }, 'revoked at a password change') : 0;
  return { cookie: await createSession(ctx, user.id), revokedTokens };
}

export interface NewAccount extends NewUser {
  password?: string | null;
}

/** Creates an account, with a password when one is given (checked before anything is written). */
export async function createAccount(ctx: ServiceContext, input: NewAccount, by: Operator): Promise<UserRow> {
  if (input.password != null) checkPassword(input.password, input.login);
  const hash = input.password != null ? await hashPassword(input.password) : null;
  const user = await createUser(ctx, input);
  if (hash !== null) await ctx.db.updateTable('users').set({ password_hash: hash }).where('id', '=', user.id).execute();
  await recordAudit(ctx.db, ctx.clock, {
    action: 'user.create',
    userId: by.actor?.userId ?? null,
    tokenId: null,
    detail: { user_id: user.id, login: user.login, admin: user.is_admin === 1, ...(by.via ? { via: by.via } : {}) },
  });
  // Whoever typed the address (the user, an operator, an admin), only its owner can verify it.
  if (user.email) await queueVerification(ctx.db, ctx, user.id, user.email);
  return (await findUserById(ctx.db, user.id)) ?? user;
}

/** Self-registration, only when the registry allows it. Never makes an admin. */
export async function signUp(ctx: ServiceContext, input: { login: string; password: string; email?: string | null }): Promise<UserRow> {
  if (!ctx.config.allowSignup) throw notFound('sign-up is not open on this registry; ask an administrator for an account');
  return createAccount(ctx, { login: input.login, email: input.email ?? null, password: input.password, isAdmin: false }, { actor: null, via: 'signup' });
}

async function targetOf(ctx: ServiceContext, admin: Actor, login: string): Promise<UserRow> {
  if (!admin.isAdmin) throw forbidden('only administrators may change accounts');
  const user = await findUserByLogin(ctx.db, login);
  if (!user) throw notFound(`no user with the login \`${login}\``);
  return user;
}

/**
 * Locks or unlocks an account. A locked account cannot sign in, its sessions end, and its
 * tokens are refused (the token check reads the lock). An admin cannot lock themselves out; the
 * server's operator (the CLI, no actor) may lock anyone, an admin included, in an incident.
 */
export async function setLocked(ctx: ServiceContext, by: Operator, login: string, locked: boolean): Promise<UserRow> {
  const user = by.actor ? await targetOf(ctx, by.actor, login) : await findUserByLogin(ctx.db, login);
  if (!user) throw notFound(`no user with the login \`${login}\``);
  if (locked && user.id === by.actor?.userId) throw badRequest('you cannot lock your own account');
  if (locked === (user.locked_at !== null)) return user;
  await ctx.db.transaction().execute(async (tx) => {
    await tx.updateTable('users').set({ locked_at: locked ? isoNow(ctx.clock) : null }).where('id', '=', user.id).execute();
    await recordAudit(tx, ctx.clock, {
      action: locked ? 'user.lock' : 'user.unlock',
      userId: by.actor?.userId ?? null,
      tokenId: null,
      detail: { user_id: user.id, login: user.login, ...(by.via ? { via: by.via } : {}) },
    });
  });
  if (locked) await endAllSessions(ctx, user.id);
  return (await findUserById(ctx.db, user.id))!;
}

/** Grants or removes admin rights. An admin cannot demote themselves (someone must stay admin). */
export async function setAdmin(ctx: ServiceContext, by: Operator & { actor: Actor }, login: string, admin: boolean): Promise<UserRow> {
  const user = await targetOf(ctx, by.actor, login);
  if (!admin && user.id === by.actor.userId) throw badRequest('you cannot remove your own administrator rights');
  if (admin === (user.is_admin === 1)) return user;
  await ctx.db.transaction().execute(async (tx) => {
    await tx.updateTable('users').set({ is_admin: admin ? 1 : 0 }).where('id', '=', user.id).execute();
    await recordAudit(tx, ctx.clock, {
      action: admin ? 'user.admin' : 'user.unadmin',
      userId: by.actor.userId,
      tokenId: null,
      detail: { user_id: user.id, login: user.login },
    });
  });
  return (await findUserById(ctx.db, user.id))!;
}

export interface AccountView {
  id: number;
  login: string;
  name: string | null;
  email: string | null;
  emailVerified: boolean;
  isAdmin: boolean;
  lockedAt: string | null;
  hasPassword: boolean;
  createdAt: string;
}

export async function listAccounts(ctx: ServiceContext): Promise<AccountView[]> {
  const rows = await ctx.db.selectFrom('users').selectAll().where('deleted_at', 'is', null).orderBy('login_lower').limit(5000).execute();
  return rows.map((u) => ({
    id: u.id,
    login: u.login,
    name: u.name,
    email: u.email,
    emailVerified: u.email_verified_at !== null,
    isAdmin: u.is_admin === 1,
    lockedAt: u.locked_at,
    hasPassword: u.password_hash !== null,
    createdAt: u.created_at,
  }));
}

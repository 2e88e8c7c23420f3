import { createHash, randomBytes } from 'node:crypto';
import { badRequest, notFound } from '../../core/errors.js';
import { consumeVerification, insertVerification, markEmailVerified, setEmail } from '../../db/repositories/mail.repository.js';
import { findUserById, findUserByLogin } from '../../db/repositories/user.repository.js';
import type { Db } from '../../db/create-db.js';
import { recordAudit } from '../audit.service.js';
import { isoNow, type ServiceContext } from '../context.js';
import { type MailDeps, queueMails } from './mail-queue.js';

/** How long a verification link works. */
export const VERIFICATION_TTL_MS = 24 * 3_600_000;
const MAX_EMAIL_LENGTH = 200;

const hashLink = (token: string): string => createHash('sha256').update(token).digest('hex');

/** The one rule for an address anyone gives Wharf. */
export function checkEmail(email: string): string {
  const e = email.trim();
  if (e.length > MAX_EMAIL_LENGTH || !/^[^\s@<>",;]+@[^\s@<>",;]+$/.test(e)) throw badRequest(`invalid e-mail address \`${email.slice(0, MAX_EMAIL_LENGTH)}\``);
  return e;
}

/** Queues the verification message for the address `email` of the user (sent only while it is still theirs). */
export async function queueVerification(db: Db, deps: MailDeps, userId: number, email: string): Promise<void> {
  await queueMails(db, deps, [{ userId, key: `verify:${hashLink(`${email}:${deps.clock.now().toISOString()}`).slice(0, 16)}`, message: { template: 'verify-email', email } }]);
}

/**
 * Sets (or, with an empty string, removes) a user's address. A new address is unverified until
 * its owner follows the link mailed to it; nothing else is sent to it before.
 */
export async function changeEmail(ctx: ServiceContext, userId: number, raw: string): Promise<{ email: string | null }> {
  const email = raw.trim() === '' ? null : checkEmail(raw);
  const user = await findUserById(ctx.db, userId);
  if (!user) throw notFound('no such user');
  if (email === user.email) return { email };
  await ctx.db.transaction().execute(async (tx) => {
    await setEmail(tx, userId, email, isoNow(ctx.clock));
    if (email) await queueVerification(tx, ctx, userId, email);
  });
  return { email };
}

/** Makes a single-use link for the address (called by the sender, so the link exists only in the message). */
export async function createVerificationLink(ctx: MailDeps & { db: Db }, userId: number, email: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  await insertVerification(ctx.db, {
    token_hash: hashLink(token),
    user_id: userId,
    email,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + VERIFICATION_TTL_MS).toISOString(),
  });
  return `${ctx.config.publicUrl}/confirm-email/${token}`;
}

/** Follows a verification link: the address it names becomes verified, once. */
export async function confirmEmail(ctx: ServiceContext, token: string): Promise<{ email: string }> {
  const now = isoNow(ctx.clock);
  const done = await ctx.db.transaction().execute(async (tx) => {
    const used = await consumeVerification(tx, hashLink(token), now);
    if (used) await markEmailVerified(tx, used.userId, now);
    return used;
  });
  if (!done) throw badRequest('this confirmation link is unknown, used, expired, or for an address the account no longer has; ask for a new one on your account page');
  return { email: done.email };
}

/** `wharf user verify-email <login>`: an operator vouches for a user's address (audited). */
export async function verifyEmailByOperator(ctx: ServiceContext, login: string, via: string): Promise<{ email: string }> {
  const user = await findUserByLogin(ctx.db, login);
  if (!user) throw notFound(`no user \`${login}\``);
  if (!user.email) throw badRequest(`\`${login}\` has no e-mail address to verify`);
  const email = user.email;
  await ctx.db.transaction().execute(async (tx) => {
    await markEmailVerified(tx, user.id, isoNow(ctx.clock));
    await recordAudit(tx, ctx.clock, { action: 'user.verify_email', userId: null, tokenId: null, detail: { login: user.login, user_id: user.id, via } });
  });
  return { email };
}

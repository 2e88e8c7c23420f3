import { createHash, randomBytes } from 'node:crypto';
import { badRequest, conflict, forbidden, notFound } from '../core/errors.js';
import { findUserById, findUserByLogin, type UserRow } from '../db/repositories/user.repository.js';
import { checkPassword, storePassword } from './account.service.js';
import { recordAudit } from './audit.service.js';
import { isoNow, type ServiceContext } from './context.js';
import { endAllSessions } from './session.service.js';
import { type Operator, revokeAllTokens } from './token.service.js';

/**
 * The end of an account, and the way back into one: what an operator does with `wharf user
 * delete` and `wharf user reset-password`, or an administrator on /admin/users.
 */

/** How long a password-reset link works. */
export const PASSWORD_RESET_HOURS = 24;

const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

async function targetAccount(ctx: ServiceContext, by: Operator, login: string): Promise<UserRow> {
  if (by.actor && !by.actor.isAdmin) throw forbidden('only administrators may change accounts');
  const user = await findUserByLogin(ctx.db, login);
  if (!user || user.deleted_at) throw notFound(`no user with the login \`${login}\``);
  return user;
}

/** The crates a user owns, by name (at most `limit`), and how many there are. */
async function ownedCrates(ctx: ServiceContext, userId: number, limit = 5): Promise<{ names: string[]; total: number }> {
  const rows = await ctx.db
    .selectFrom('crate_owners')
    .innerJoin('crates', 'crates.id', 'crate_owners.crate_id')
    .select('crates.name')
    .where('crate_owners.user_id', '=', userId)
    .orderBy('crates.name')
    .execute();
  return { names: rows.slice(0, limit).map((r) => r.name), total: rows.length };
}

/**
 * Deletes an account. Refused while it owns crates (someone must stay able to publish and yank
 * them). The row stays, because audit rows, versions and tokens refer to it, but it keeps nothing
 * personal: its login becomes `deleted~ID` (which no one can choose, so the old login is free
 * again), its name, e-mail and password are erased, its tokens are revoked and its sessions end.
 */
export async function deleteAccount(ctx: ServiceContext, by: Operator, login: string): Promise<{ login: string; revokedTokens: number }> {
  const user = await targetAccount(ctx, by, login);
  if (user.id === by.actor?.userId) throw badRequest('you cannot delete your own account');
  const owned = await ownedCrates(ctx, user.id);
  if (owned.total > 0) {
    const listed = owned.names.map((n) => `\`${n}\``).join(', ') + (owned.total > owned.names.length ? ` and ${owned.total - owned.names.length} more` : '');
    throw conflict(
      `\`${user.login}\` owns ${owned.total} crate${owned.total === 1 ? '' : 's'} (${listed}); add another owner and remove this one first ` +
        `(\`cargo owner --add OTHER --remove ${user.login} CRATE\`), then delete the account`,
    );
  }
  const revokedTokens = await revokeAllTokens(ctx, by, { userId: user.id }, 'the account was deleted');
  const now = isoNow(ctx.clock);
  const ghost = `deleted~${user.id}`;
  await ctx.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('users')
      .set({ login: ghost, login_lower: ghost, name: null, email: null, password_hash: null, locked_at: user.locked_at ?? now, deleted_at: now })
      .where('id', '=', user.id)
      .execute();
    await tx.updateTable('password_resets').set({ used_at: now }).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
    await recordAudit(tx, ctx.clock, {
      action: 'user.delete',
      userId: by.actor?.userId ?? null,
      tokenId: null,
      detail: { user_id: user.id, login: user.login, revoked_tokens: revokedTokens, ...(by.via ? { via: by.via } : {}) },
    });
  });
  await endAllSessions(ctx, user.id);
  return { login: user.login, revokedTokens };
}

export interface PasswordResetLink {
  login: string;
  url: string;
  expiresAt: string;
}

/**
 * A single-use link with which the user sets a new password, for an administrator to pass on
 * through a channel they trust. Any earlier unused link of the account stops working. The link
 * is never stored or logged; the audit row says that one was made and by whom.
 */
export async function createPasswordReset(ctx: ServiceContext, by: Operator, login: string): Promise<PasswordResetLink> {
  const user = await targetAccount(ctx, by, login);
  if (user.locked_at) throw badRequest(`the account \`${user.login}\` is locked; unlock it first (\`wharf user unlock ${user.login}\`)`);
  const secret = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + PASSWORD_RESET_HOURS * 3600_000).toISOString();
  await ctx.db.transaction().execute(async (tx) => {
    await tx.updateTable('password_resets').set({ used_at: now.toISOString() }).where('user_id', '=', user.id).where('used_at', 'is', null).execute();
    await tx
      .insertInto('password_resets')
      .values({ user_id: user.id, token_hash: hashSecret(secret), created_by: by.actor?.userId ?? null, created_at: now.toISOString(), expires_at: expiresAt, used_at: null })
      .execute();
    await recordAudit(tx, ctx.clock, {
      action: 'user.password_reset',
      userId: by.actor?.userId ?? null,
      tokenId: null,
      detail: { user_id: user.id, login: user.login, expires_at: expiresAt, ...(by.via ? { via: by.via } : {}) },
    });
  });
  return { login: user.login, url: `${ctx.config.publicUrl}/reset-password/${secret}`, expiresAt };
}

const RESET_SECRET = /^[A-Za-z0-9_-]{43}$/;
const LINK_DEAD = 'this password-reset link is not valid: it was used, replaced by a newer one, or has expired; ask an administrator for a new one';

/** The account a reset link is for, while the link works. */
export async function passwordResetAccount(ctx: ServiceContext, secret: string): Promise<{ resetId: number; user: UserRow }> {
  if (!RESET_SECRET.test(secret)) throw notFound(LINK_DEAD);
  const row = await ctx.db.selectFrom('password_resets').selectAll().where('token_hash', '=', hashSecret(secret)).executeTakeFirst();
  if (!row || row.used_at !== null || row.expires_at <= isoNow(ctx.clock)) throw notFound(LINK_DEAD);
  const user = await findUserById(ctx.db, row.user_id);
  if (!user || user.deleted_at) throw notFound(LINK_DEAD);
  if (user.locked_at) throw forbidden(`the account \`${user.login}\` is locked; ask an administrator`);
  return { resetId: row.id, user };
}

/**
 * Sets the password through a reset link. The link is spent first, by a conditional update, so
 * two submissions cannot both use it; a password that breaks the rule leaves it unspent.
 */
export async function completePasswordReset(ctx: ServiceContext, secret: string, password: string, confirm: string): Promise<UserRow> {
  const { resetId, user } = await passwordResetAccount(ctx, secret);
  checkPassword(password, user.login);
  if (password !== confirm) throw badRequest('the password and its repetition differ');
  const spent = await ctx.db
    .updateTable('password_resets')
    .set({ used_at: isoNow(ctx.clock) })
    .where('id', '=', resetId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1) throw notFound(LINK_DEAD);
  await storePassword(ctx, user, password, { actor: null, via: 'password-reset link' });
  return user;
}

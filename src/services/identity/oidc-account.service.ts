import { admission, type Claims, loginCandidate, loginVariant, type OidcRules } from '../../core/oidc-claims.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../../core/errors.js';
import {
  deleteOidcIdentity,
  findOidcIdentity,
  insertOidcIdentity,
  listOidcIdentities,
  type OidcIdentityRow,
  touchOidcIdentity,
} from '../../db/repositories/identity.repository.js';
import { findUserById, findUserByLogin, type UserRow } from '../../db/repositories/user.repository.js';
import { setLocked } from '../account.service.js';
import { recordAudit } from '../audit.service.js';
import { isoNow, type ServiceContext } from '../context.js';
import type { VerifiedUser } from '../identity.service.js';
import { createUser } from '../user.service.js';

/**
 * Accounts behind single sign-on: an identity (issuer and subject) belongs to one account; the
 * provider's claims decide who may sign in and who is an admin, at every sign-in.
 */
export const rulesOf = (ctx: ServiceContext): OidcRules => ({
  allowedDomains: ctx.config.oidcAllowedDomains,
  allowedGroups: ctx.config.oidcAllowedGroups,
  groupsClaim: ctx.config.oidcGroupsClaim,
  adminGroups: ctx.config.oidcAdminGroups,
});

/** What the provider vouched for at a round trip. `refreshToken` is already sealed (never stored plain). */
export interface ProvenIdentity {
  issuer: string;
  claims: Claims;
  sealedRefreshToken: string | null;
}

const subjectOf = (claims: Claims): string => {
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub === '' || sub.length > 255) throw badRequest('the identity provider gave no usable subject');
  return sub;
};

const OIDC_OPERATOR = { actor: null, via: 'oidc' } as const;

/** Locks an account whose identity the provider no longer allows, as `wharf user lock` does. */
export async function lockForProvider(ctx: ServiceContext, user: UserRow, reason: string): Promise<void> {
  if (user.locked_at) return;
  await setLocked(ctx, { ...OIDC_OPERATOR, via: `oidc: ${reason}`.slice(0, 200) }, user.login, true);
}

/** Admin rights follow the admin groups (when set), recorded like an admin's change. */
async function followAdminGroups(ctx: ServiceContext, user: UserRow, admin: boolean | null): Promise<void> {
  if (admin === null || admin === (user.is_admin === 1)) return;
  await ctx.db.transaction().execute(async (tx) => {
    await tx.updateTable('users').set({ is_admin: admin ? 1 : 0 }).where('id', '=', user.id).execute();
    await recordAudit(tx, ctx.clock, {
      action: admin ? 'user.admin' : 'user.unadmin',
      userId: null,
      tokenId: null,
      detail: { user_id: user.id, login: user.login, via: 'oidc groups' },
    });
  });
}

/** A login no one has: the candidate, else with `-2`, `-3`... (two people never share an account). */
async function freeLogin(ctx: ServiceContext, claims: Claims): Promise<string> {
  const base = loginCandidate(claims);
  for (let n = 1; n <= 1000; n++) {
    const login = loginVariant(base, n);
    if (!(await findUserByLogin(ctx.db, login))) return login;
  }
  throw conflict('no free login could be made from your name at the provider; ask an administrator');
}

/**
 * The account a sign-in at the provider opens: the linked one, or a new one when the registry
 * creates accounts. A linked account the claims no longer allow is locked, and refused.
 */
export async function accountForSignIn(ctx: ServiceContext, proven: ProvenIdentity): Promise<VerifiedUser> {
  const subject = subjectOf(proven.claims);
  const verdict = admission(proven.claims, rulesOf(ctx));
  const identity = await findOidcIdentity(ctx.db, proven.issuer, subject);
  const now = isoNow(ctx.clock);
  if (!verdict.allowed) {
    const user = identity ? await findUserById(ctx.db, identity.user_id) : undefined;
    if (user) {
      await lockForProvider(ctx, user, verdict.reason);
      throw forbidden(`You cannot sign in: ${verdict.reason}. Your account \`${user.login}\` on this registry was locked; an administrator can unlock it.`);
    }
    throw forbidden(`You cannot sign in: ${verdict.reason}.`);
  }
  let user: UserRow | undefined;
  if (identity) {
    user = await findUserById(ctx.db, identity.user_id);
    await touchOidcIdentity(ctx.db, identity.id, {
      email: verdict.email,
      at: now,
      ...(proven.sealedRefreshToken ? { refreshToken: proven.sealedRefreshToken } : {}),
    });
  } else {
    if (!ctx.config.oidcAutoCreate) {
      throw forbidden('No account on this registry is linked to your identity. Ask an administrator for one, or sign in with your password and link it on your account page.');
    }
    user = await createLinkedAccount(ctx, proven, subject, verdict.emailVerified ? verdict.email : null, verdict.admin ?? false);
  }
  if (!user) throw notFound('the account linked to this identity no longer exists');
  if (user.locked_at) throw forbidden(`the account \`${user.login}\` is locked; ask an administrator`);
  await followAdminGroups(ctx, user, verdict.admin);
  return user;
}

async function createLinkedAccount(ctx: ServiceContext, proven: ProvenIdentity, subject: string, email: string | null, admin: boolean): Promise<UserRow> {
  const name = typeof proven.claims.name === 'string' ? proven.claims.name.slice(0, 100) : null;
  // A race with another first sign-in of a name-alike takes the next suffix.
  for (let attempt = 0; ; attempt++) {
    const login = await freeLogin(ctx, proven.claims);
    try {
      const user = await createUser(ctx, { login, name, email, isAdmin: admin });
      await insertOidcIdentity(ctx.db, { userId: user.id, issuer: proven.issuer, subject, email, refreshToken: proven.sealedRefreshToken, at: isoNow(ctx.clock) });
      await recordAudit(ctx.db, ctx.clock, { action: 'user.create', userId: null, tokenId: null, detail: { user_id: user.id, login, admin, via: 'oidc' } });
      return user;
    } catch (err) {
      if (!(err instanceof AppError && err.status === 409) || attempt >= 3) throw err;
    }
  }
}

/** Links an identity to a signed-in account (after a re-authentication); one account per identity. */
export async function linkIdentity(ctx: ServiceContext, userId: number, proven: ProvenIdentity): Promise<void> {
  const subject = subjectOf(proven.claims);
  const verdict = admission(proven.claims, rulesOf(ctx));
  if (!verdict.allowed) throw forbidden(`This identity cannot be used here: ${verdict.reason}.`);
  const existing = await findOidcIdentity(ctx.db, proven.issuer, subject);
  if (existing) {
    if (existing.user_id === userId) return;
    throw conflict('this identity is already linked to another account of this registry');
  }
  const email = verdict.emailVerified ? verdict.email : null;
  await insertOidcIdentity(ctx.db, { userId, issuer: proven.issuer, subject, email, refreshToken: proven.sealedRefreshToken, at: isoNow(ctx.clock) });
  await recordAudit(ctx.db, ctx.clock, { action: 'user.identity_link', userId, tokenId: null, detail: { issuer: proven.issuer, email } });
}

/** Whether the identity of a re-authentication round trip is one the account has linked. */
export async function identityBelongsTo(ctx: ServiceContext, userId: number, issuer: string, claims: Claims): Promise<boolean> {
  const identity = await findOidcIdentity(ctx.db, issuer, subjectOf(claims));
  return identity?.user_id === userId;
}

export async function identitiesOf(ctx: ServiceContext, userId: number): Promise<OidcIdentityRow[]> {
  return listOidcIdentities(ctx.db, { userId });
}

/** Unlinks one identity; an account without a password keeps at least one. */
export async function unlinkIdentity(ctx: ServiceContext, userId: number, id: number): Promise<void> {
  const user = await findUserById(ctx.db, userId);
  const linked = await listOidcIdentities(ctx.db, { userId });
  if (user?.password_hash === null && linked.length <= 1) throw badRequest('this is the only way you can sign in: set a password first');
  if ((await deleteOidcIdentity(ctx.db, userId, id)) === 0) throw notFound('no such linked identity');
  await recordAudit(ctx.db, ctx.clock, { action: 'user.identity_unlink', userId, tokenId: null, detail: { identity_id: id } });
}

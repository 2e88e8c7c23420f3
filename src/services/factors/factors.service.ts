import { forbidden, notFound } from '../../core/errors.js';
import type { EndpointScope } from '../../core/scopes.js';
import {
  countUnusedRecoveryCodes,
  type CredentialRow,
  deleteCredentials,
  deleteRecoveryCodes,
  deleteTotp,
  factorCounts,
  findTotp,
  listCredentials,
  setFactorReset,
  takeFactorReset,
} from '../../db/repositories/factor.repository.js';
import { findUserByLogin } from '../../db/repositories/user.repository.js';
import { isoNow, type ServiceContext } from '../context.js';
import type { Operator } from '../token.service.js';
import { auditFactorChange, factorChanged } from './factor-events.js';
import { useRecovery, verifyTotp } from './totp.service.js';

/** An account's second factors as its owner sees them. */
export interface FactorSummary {
  totp: boolean;
  passkeys: CredentialRow[];
  recoveryCodesLeft: number;
}

export async function factorSummary(ctx: ServiceContext, userId: number): Promise<FactorSummary> {
  const [totp, passkeys, recoveryCodesLeft] = await Promise.all([findTotp(ctx.db, userId), listCredentials(ctx.db, userId), countUnusedRecoveryCodes(ctx.db, userId)]);
  return { totp: Boolean(totp?.confirmed_at), passkeys, recoveryCodesLeft };
}

/** Whether the account has a second factor (a confirmed app or a passkey; recovery codes alone are none). */
export async function hasSecondFactor(ctx: ServiceContext, userId: number): Promise<boolean> {
  const s = await factorSummary(ctx, userId);
  return s.totp || s.passkeys.length > 0;
}

/** Which users have which factor, for the admin's list of users. */
export const factorsByUser = (ctx: ServiceContext) => factorCounts(ctx.db);

export type SecondFactorMethod = 'totp' | 'recovery-code';

/**
 * A code typed at the second step: a current app code (6 digits) or an unused recovery code.
 * Returns how it was accepted, or null. The caller counts it under the sign-in limits.
 */
export async function checkSecondFactorCode(ctx: ServiceContext, userId: number, typed: string): Promise<SecondFactorMethod | null> {
  const compact = typed.replace(/[\s-]/g, '');
  if (/^\d{6}$/.test(compact)) return (await verifyTotp(ctx, userId, compact)) ? 'totp' : null;
  return (await useRecovery(ctx, userId, typed)) ? 'recovery-code' : null;
}

/** The `require_2fa` policy (config.ts). */
export type TwoFactorPolicy = 'off' | 'publishers' | 'everyone';

const PUBLISH_SCOPES: readonly EndpointScope[] = ['publish-new', 'publish-update'];

/**
 * Refuses a token the policy forbids an account without a second factor: under `publishers` one
 * that may publish, under `everyone` any. Asked when a user makes a token for themselves.
 */
export async function checkTokenPolicy(ctx: ServiceContext, userId: number, scopes: readonly EndpointScope[]): Promise<void> {
  const policy = ctx.config.require2fa;
  if (policy === 'off') return;
  if (policy === 'publishers' && !scopes.some((s) => PUBLISH_SCOPES.includes(s))) return;
  if (await hasSecondFactor(ctx, userId)) return;
  throw forbidden(
    policy === 'publishers'
      ? `this registry requires a second factor for tokens that may publish: set up an authenticator app or a passkey at ${ctx.config.publicUrl}/me/two-factor first`
      : `this registry requires a second factor for every account: set one up at ${ctx.config.publicUrl}/me/two-factor first`,
  );
}

/** Whether a sign-in without a factor must go to enrolment first (`require_2fa = everyone`). */
export const mustEnrol = async (ctx: ServiceContext, userId: number): Promise<boolean> =>
  ctx.config.require2fa === 'everyone' && !(await hasSecondFactor(ctx, userId));

/**
 * An administrator (or the server's operator on the CLI) removes every factor of an account,
 * for a user who lost them all. Audited; the user is told at their next sign-in.
 */
export async function resetFactors(ctx: ServiceContext, by: Operator, login: string): Promise<{ totp: number; passkeys: number; recoveryCodes: number }> {
  if (by.actor && !by.actor.isAdmin) throw forbidden('only administrators may reset the factors of an account');
  const user = await findUserByLogin(ctx.db, login);
  if (!user) throw notFound(`no user with the login \`${login}\``);
  const change = { userId: user.id, login: user.login, change: 'reset', method: 'all', by } as const;
  const removed = await ctx.db.transaction().execute(async (tx) => {
    const counts = { totp: await deleteTotp(tx, user.id), passkeys: await deleteCredentials(tx, user.id), recoveryCodes: await deleteRecoveryCodes(tx, user.id) };
    await setFactorReset(tx, user.id, isoNow(ctx.clock));
    await auditFactorChange(ctx, tx, change);
    return counts;
  });
  await factorChanged(ctx, change);
  return removed;
}

/** When an administrator reset the user's factors since they last signed in (told once), or null. */
export const takeResetNotice = (ctx: ServiceContext, userId: number): Promise<string | null> => takeFactorReset(ctx.db, userId);

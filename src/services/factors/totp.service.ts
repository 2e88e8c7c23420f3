import { badRequest, conflict } from '../../core/errors.js';
import { claimTotpStep, deleteRecoveryCodes, deleteTotp, findTotp, putPendingTotp, useRecoveryCode } from '../../db/repositories/factor.repository.js';
import type { Actor } from '../actor.js';
import { isoNow, type ServiceContext } from '../context.js';
import { auditFactorChange, factorChanged } from './factor-events.js';
import { canonicalRecoveryCode, hashRecoveryCode, recoveryCodesIfNone, storeNewRecoveryCodes } from './recovery-codes.js';
import { openSecret, sealSecret } from './secret-box.js';
import { matchTotp, newTotpSecret, normalizeCode, secretFromBase32, stepAt, totpUri } from './totp.js';

/** An authenticator app being set up: the secret as text and as the URI its QR code holds. */
export interface TotpEnrolment {
  secret: string;
  uri: string;
}

const enrolmentOf = (ctx: ServiceContext, actor: Actor, secret: string): TotpEnrolment => ({
  secret,
  uri: totpUri(secret, ctx.config.registryName === 'wharf' ? 'Wharf' : `Wharf (${ctx.config.registryName})`, actor.login),
});

/** Starts (or restarts) setting up an app. Refused while one is set up: remove it first. */
export async function startTotpEnrolment(ctx: ServiceContext, actor: Actor): Promise<TotpEnrolment> {
  const secret = newTotpSecret();
  if (!(await putPendingTotp(ctx.db, actor.userId, await sealSecret(ctx, actor.userId, secret), isoNow(ctx.clock)))) {
    throw conflict('an authenticator app is already set up; remove it first to set up another');
  }
  return enrolmentOf(ctx, actor, secret);
}

/** The enrolment waiting for its first code, to show again after a wrong one; null when there is none. */
export async function pendingTotpEnrolment(ctx: ServiceContext, actor: Actor): Promise<TotpEnrolment | null> {
  const row = await findTotp(ctx.db, actor.userId);
  if (!row || row.confirmed_at) return null;
  const secret = await openSecret(ctx, actor.userId, row.secret);
  return secret === null ? null : enrolmentOf(ctx, actor, secret);
}

/**
 * Confirms the app with one of its codes. Returns fresh recovery codes when the account had
 * none left (shown once, stored hashed), else null.
 */
export async function confirmTotpEnrolment(ctx: ServiceContext, actor: Actor, typed: string): Promise<{ recoveryCodes: string[] | null }> {
  const row = await findTotp(ctx.db, actor.userId);
  if (!row || row.confirmed_at) throw conflict('there is no authenticator app waiting to be confirmed; start again');
  const secret = await openSecret(ctx, actor.userId, row.secret);
  const now = ctx.clock.now();
  const step = secret === null ? null : matchTotp({ secret: secretFromBase32(secret) }, normalizeCode(typed), now.getTime());
  if (step === null) throw badRequest('that code is not right: enter the 6 digits the app shows now');
  let recoveryCodes: string[] | null = null;
  await ctx.db.transaction().execute(async (tx) => {
    if (!(await claimTotpStep(tx, actor.userId, step, now.toISOString()))) throw conflict('the app was confirmed already');
    recoveryCodes = await recoveryCodesIfNone(tx, actor.userId, now.toISOString());
    await auditFactorChange(ctx, tx, { userId: actor.userId, login: actor.login, change: 'added', method: 'totp', by: { actor } });
  });
  await factorChanged(ctx, { userId: actor.userId, login: actor.login, change: 'added', method: 'totp', by: { actor } });
  return { recoveryCodes };
}

/**
 * Whether `typed` is a current code of the user's confirmed app, used now for the first time:
 * a code (and any earlier one) is accepted once, so one seen over a shoulder or in a phishing
 * proxy's log is worth nothing after its use. The caller puts this under the sign-in limits.
 */
export async function verifyTotp(ctx: ServiceContext, userId: number, typed: string): Promise<boolean> {
  const row = await findTotp(ctx.db, userId);
  if (!row?.confirmed_at) return false;
  const secret = await openSecret(ctx, userId, row.secret);
  if (secret === null) return false;
  const now = ctx.clock.now().getTime();
  const step = matchTotp({ secret: secretFromBase32(secret) }, normalizeCode(typed), now);
  if (step === null || (row.last_step !== null && step <= row.last_step)) return false;
  return claimTotpStep(ctx.db, userId, step, null);
}

/** Whether `typed` is one of the user's unused recovery codes; if so it is used up. */
export async function useRecovery(ctx: ServiceContext, userId: number, typed: string): Promise<boolean> {
  const code = canonicalRecoveryCode(typed);
  if (code === null) return false;
  return useRecoveryCode(ctx.db, userId, hashRecoveryCode(code), isoNow(ctx.clock));
}

/** New recovery codes replacing all the old ones (shown once). */
export async function regenerateRecoveryCodes(ctx: ServiceContext, actor: Actor): Promise<string[]> {
  const codes = await ctx.db.transaction().execute(async (tx) => {
    const made = await storeNewRecoveryCodes(tx, actor.userId, isoNow(ctx.clock));
    await auditFactorChange(ctx, tx, { userId: actor.userId, login: actor.login, change: 'added', method: 'recovery-codes', by: { actor } });
    return made;
  });
  await factorChanged(ctx, { userId: actor.userId, login: actor.login, change: 'added', method: 'recovery-codes', by: { actor } });
  return codes;
}

/** Removes the app. With no passkey left, the recovery codes go too (they recover nothing). */
export async function removeTotp(ctx: ServiceContext, actor: Actor, hasPasskeys: boolean): Promise<void> {
  const removed = await ctx.db.transaction().execute(async (tx) => {
    const n = await deleteTotp(tx, actor.userId);
    if (n === 0) return false;
    if (!hasPasskeys) await deleteRecoveryCodes(tx, actor.userId);
    await auditFactorChange(ctx, tx, { userId: actor.userId, login: actor.login, change: 'removed', method: 'totp', by: { actor } });
    return true;
  });
  if (removed) await factorChanged(ctx, { userId: actor.userId, login: actor.login, change: 'removed', method: 'totp', by: { actor } });
}

/** The current step (exported for tests and the enrolment page). */
export const currentStep = (ctx: ServiceContext): number => stepAt(ctx.clock.now().getTime());

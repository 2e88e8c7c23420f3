import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { badRequest, conflict, notFound, unauthorized } from '../../core/errors.js';
import {
  deleteCredential,
  deleteRecoveryCodes,
  findCredential,
  findTotp,
  insertCredential,
  listCredentials,
  renameCredential,
  touchCredential,
} from '../../db/repositories/factor.repository.js';
import { findUserById } from '../../db/repositories/user.repository.js';
import type { Config } from '../../config/config.js';
import type { Actor } from '../actor.js';
import { isoNow, type ServiceContext } from '../context.js';
import { auditFactorChange, factorChanged } from './factor-events.js';
import { recoveryCodesIfNone } from './recovery-codes.js';

/**
 * Passkeys and security keys (WebAuthn, with @simplewebauthn/server). The relying party is the
 * registry's public URL: its host is the RP ID and its origin the only origin accepted, so a
 * credential made here answers nowhere else. Challenges are kept by the caller (bound to the
 * browser, services/factors/challenges.ts) and used once.
 */
export const MAX_PASSKEYS = 20;
export const MAX_PASSKEY_NAME = 60;
const TIMEOUT_MS = 120_000;

export function relyingParty(config: Pick<Config, 'publicUrl' | 'registryName'>): { id: string; origin: string; name: string } {
  const url = new URL(config.publicUrl);
  return { id: url.hostname, origin: url.origin, name: config.registryName === 'wharf' ? 'Wharf' : `Wharf (${config.registryName})` };
}

/** Options for registering a new credential; `challenge` must be kept for finishRegistration. */
export async function registrationOptions(ctx: ServiceContext, actor: Actor): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await listCredentials(ctx.db, actor.userId);
  if (existing.length >= MAX_PASSKEYS) throw conflict(`an account may have at most ${MAX_PASSKEYS} passkeys and security keys; remove one first`);
  const rp = relyingParty(ctx.config);
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: actor.login,
    userDisplayName: actor.name ?? actor.login,
    // A stable handle that reveals nothing: the same account always gets the same one.
    userID: new TextEncoder().encode(`wharf-user-${actor.userId}`),
    timeout: TIMEOUT_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: JSON.parse(c.transports) as string[] })),
    // Discoverable, so that the same credential can sign in with no login typed.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
}

export function passkeyName(typed: string): string {
  const name = typed.trim();
  if (name === '' || [...name].length > MAX_PASSKEY_NAME) throw badRequest(`a passkey name must be 1 to ${MAX_PASSKEY_NAME} characters`);
  return name;
}

/** Stores the credential the browser made; returns fresh recovery codes when the account had none. */
export async function finishRegistration(
  ctx: ServiceContext,
  actor: Actor,
  response: RegistrationResponseJSON,
  challenge: string,
  typedName: string,
): Promise<{ recoveryCodes: string[] | null }> {
  const name = passkeyName(typedName);
  const rp = relyingParty(ctx.config);
  let info;
  try {
    const verified = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: false });
    if (!verified.verified) throw new Error('not verified');
    info = verified.registrationInfo;
  } catch (err) {
    throw badRequest(`the passkey could not be verified: ${(err as Error).message}`);
  }
  if (await findCredential(ctx.db, info.credential.id)) throw conflict('this passkey is registered already');
  const now = isoNow(ctx.clock);
  let recoveryCodes: string[] | null = null;
  await ctx.db.transaction().execute(async (tx) => {
    await insertCredential(tx, {
      user_id: actor.userId,
      credential_id: info.credential.id,
      public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: JSON.stringify(info.credential.transports ?? []),
      name,
      created_at: now,
    });
    recoveryCodes = await recoveryCodesIfNone(tx, actor.userId, now);
    await auditFactorChange(ctx, tx, { userId: actor.userId, login: actor.login, change: 'added', method: 'passkey', name, by: { actor } });
  });
  await factorChanged(ctx, { userId: actor.userId, login: actor.login, change: 'added', method: 'passkey', name, by: { actor } });
  return { recoveryCodes };
}

/**
 * Options for proving a credential. With a user (a second factor after the password, or a
 * re-authentication), only that user's credentials are allowed; without one (usernameless
 * sign-in) the authenticator offers whichever discoverable credential it holds for this site.
 */
export async function authenticationOptions(ctx: ServiceContext, userId: number | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const credentials = userId === null ? [] : await listCredentials(ctx.db, userId);
  return generateAuthenticationOptions({
    rpID: relyingParty(ctx.config).id,
    timeout: TIMEOUT_MS,
    userVerification: userId === null ? 'required' : 'preferred',
    allowCredentials: credentials.map((c) => ({ id: c.credential_id, transports: JSON.parse(c.transports) as never[] })),
  });
}

/**
 * Verifies a credential's answer to `challenge` and returns whose it is. A passkey alone must
 * have verified the user (PIN, biometrics): it stands for both factors. `userId` restricts it
 * to that account's credentials.
 */
export async function finishAuthentication(
  ctx: ServiceContext,
  response: AuthenticationResponseJSON,
  challenge: string,
  userId: number | null,
): Promise<{ userId: number; credentialName: string }> {
  const refused = unauthorized('this passkey is not registered for the account, or it could not be verified');
  if (typeof response?.id !== 'string') throw badRequest('expected the answer of a passkey');
  const row = await findCredential(ctx.db, response.id);
  if (!row || (userId !== null && row.user_id !== userId)) throw refused;
  const rp = relyingParty(ctx.config);
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: { id: row.credential_id, publicKey: Buffer.from(row.public_key, 'base64url'), counter: row.counter, transports: JSON.parse(row.transports) as never[] },
      requireUserVerification: userId === null,
    });
  } catch {
    throw refused;
  }
  if (!verified.verified) throw refused;
  await touchCredential(ctx.db, row.id, verified.authenticationInfo.newCounter, isoNow(ctx.clock));
  return { userId: row.user_id, credentialName: row.name };
}

export async function renamePasskey(ctx: ServiceContext, actor: Actor, id: number, typedName: string): Promise<void> {
  if (!(await renameCredential(ctx.db, actor.userId, id, passkeyName(typedName)))) throw notFound('no such passkey');
}

/** Removes a passkey. With no factor left, the recovery codes go too. */
export async function removePasskey(ctx: ServiceContext, actor: Actor, id: number): Promise<void> {
  const removed = await ctx.db.transaction().execute(async (tx) => {
    const row = await deleteCredential(tx, actor.userId, id);
    if (!row) return null;
    const left = (await listCredentials(tx, actor.userId)).length;
    if (left === 0 && !(await findTotp(tx, actor.userId))?.confirmed_at) await deleteRecoveryCodes(tx, actor.userId);
    await auditFactorChange(ctx, tx, { userId: actor.userId, login: actor.login, change: 'removed', method: 'passkey', name: row.name, by: { actor } });
    return row;
  });
  if (!removed) throw notFound('no such passkey');
  await factorChanged(ctx, { userId: actor.userId, login: actor.login, change: 'removed', method: 'passkey', name: removed.name, by: { actor } });
}

/** The user a passkey signed in, re-read (a lock set meanwhile is checked by startSession). */
export async function passkeyUser(ctx: ServiceContext, userId: number) {
  const user = await findUserById(ctx.db, userId);
  if (!user) throw unauthorized('this passkey is not registered for any account');
  return user;
}

import { createHash } from 'node:crypto';
import { deleteExpiredChallenges, findChallenge, putChallenge, takeChallenge } from '../../db/repositories/factor.repository.js';
import type { ServiceContext } from '../context.js';

/**
 * Short-lived steps of signing in kept on the server, each bound to one browser by a cookie
 * (only the SHA-256 of purpose and cookie is stored): the password checked and the second factor
 * still due; a WebAuthn challenge waiting for its answer. Kept in the database, so any instance
 * behind a balancer can take the next step.
 */
export type ChallengePurpose = 'second-factor' | 'passkey-login' | 'passkey-register' | 'passkey-sudo';

export const CHALLENGE_MINUTES = 5;

export interface Challenge {
  userId: number | null;
  challenge: string | null;
  detail: Record<string, string>;
}

const keyOf = (purpose: ChallengePurpose, cookie: string) => createHash('sha256').update(`${purpose}\n${cookie}`, 'utf8').digest('hex');

export async function putBrowserChallenge(ctx: ServiceContext, purpose: ChallengePurpose, cookie: string, value: Challenge): Promise<void> {
  const now = ctx.clock.now();
  // Each new step clears the stale ones, so the table holds minutes of sign-ins at most.
  await deleteExpiredChallenges(ctx.db, now.toISOString());
  await putChallenge(ctx.db, {
    key_hash: keyOf(purpose, cookie),
    purpose,
    user_id: value.userId,
    challenge: value.challenge,
    detail: JSON.stringify(value.detail),
    expires_at: new Date(now.getTime() + CHALLENGE_MINUTES * 60_000).toISOString(),
  });
}

export async function readBrowserChallenge(ctx: ServiceContext, purpose: ChallengePurpose, cookie: string): Promise<Challenge | null> {
  const row = await findChallenge(ctx.db, keyOf(purpose, cookie), ctx.clock.now().toISOString());
  if (!row) return null;
  return { userId: row.user_id, challenge: row.challenge, detail: JSON.parse(row.detail) as Record<string, string> };
}

/** Reads and removes a step in one go; null when it is gone, expired, or another request took it first. */
export async function takeBrowserChallenge(ctx: ServiceContext, purpose: ChallengePurpose, cookie: string): Promise<Challenge | null> {
  const found = await readBrowserChallenge(ctx, purpose, cookie);
  if (!found) return null;
  return (await takeChallenge(ctx.db, keyOf(purpose, cookie))) ? found : null;
}

export async function dropBrowserChallenge(ctx: ServiceContext, purpose: ChallengePurpose, cookie: string): Promise<void> {
  await takeChallenge(ctx.db, keyOf(purpose, cookie));
}

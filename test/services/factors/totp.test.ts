import { Secret } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createAccount } from '../../../src/services/account.service.js';
import type { Actor } from '../../../src/services/actor.js';
import { checkSecondFactorCode, hasSecondFactor } from '../../../src/services/factors/factors.service.js';
import { openSecret } from '../../../src/services/factors/secret-box.js';
import { matchTotp, secretFromBase32, totpCode } from '../../../src/services/factors/totp.js';
import { confirmTotpEnrolment, startTotpEnrolment, useRecovery, verifyTotp } from '../../../src/services/factors/totp.service.js';
import { setPasswordHashCost } from '../../../src/services/password.service.js';
import { createTestApp, type TestApp } from '../../helpers/test-app.js';
import { FAST_SCRYPT } from '../../helpers/web.js';

/** RFC 6238, appendix B: the seeds are ASCII "1234567890" repeated to the hash's length. */
const SEEDS = {
  SHA1: '12345678901234567890',
  SHA256: '12345678901234567890123456789012',
  SHA512: '1234567890123456789012345678901234567890123456789012345678901234',
} as const;
const VECTORS: ReadonlyArray<[number, string, keyof typeof SEEDS]> = [
  [59, '94287082', 'SHA1'],
  [59, '46119246', 'SHA256'],
  [59, '90693936', 'SHA512'],
  [1111111109, '07081804', 'SHA1'],
  [1111111109, '68084774', 'SHA256'],
  [1111111109, '25091201', 'SHA512'],
  [1111111111, '14050471', 'SHA1'],
  [1111111111, '67062674', 'SHA256'],
  [1111111111, '99943326', 'SHA512'],
  [1234567890, '89005924', 'SHA1'],
  [1234567890, '91819424', 'SHA256'],
  [1234567890, '93441116', 'SHA512'],
  [2000000000, '69279037', 'SHA1'],
  [2000000000, '90698825', 'SHA256'],
  [2000000000, '38618901', 'SHA512'],
  [20000000000, '65353130', 'SHA1'],
  [20000000000, '77737706', 'SHA256'],
  [20000000000, '47863826', 'SHA512'],
];

describe('TOTP codes (RFC 6238 test vectors)', () => {
  it.each(VECTORS)('at %i s the %s-digit code is %s (%s)', (seconds, expected, algorithm) => {
    const params = { secret: Secret.fromUTF8(SEEDS[algorithm]), digits: 8, algorithm };
    expect(totpCode(params, seconds * 1000)).toBe(expected);
    // And the code is matched to its own time step.
    expect(matchTotp(params, expected, seconds * 1000)).toBe(Math.floor(seconds / 30));
  });

  it('accepts the steps next to now (a phone a little off) but not two away, nor malformed codes', () => {
    const params = { secret: Secret.fromUTF8(SEEDS.SHA1), digits: 8 };
    const t = 1111111109 * 1000;
    expect(matchTotp(params, totpCode(params, t - 30_000), t)).toBe(Math.floor(t / 30_000) - 1);
    expect(matchTotp(params, totpCode(params, t + 30_000), t)).toBe(Math.floor(t / 30_000) + 1);
    expect(matchTotp(params, totpCode(params, t - 60_000), t)).toBeNull();
    for (const bad of ['', '0708180', '070818044', '0708 1804', 'abcdefgh']) expect(matchTotp(params, bad, t)).toBeNull();
  });
});

describe('second factors of an account', () => {
  let t: TestApp;
  let actor: Actor;
  const clock = () => t.clock;

  beforeEach(async () => {
    setPasswordHashCost(FAST_SCRYPT);
    t = await createTestApp();
    t.clock.freeze(new Date('2026-06-01T12:00:10Z'));
    const user = await createAccount(t.runtime.ctx, { login: 'alice', password: 'a long enough password' }, { actor: null, via: 'test' });
    actor = { userId: user.id, login: user.login, name: null, isAdmin: false, token: null };
  });
  afterEach(() => t.close());

  const codeNow = (secret: string, offsetMs = 0) => totpCode({ secret: secretFromBase32(secret) }, clock().now().getTime() + offsetMs);

  it('stores the secret encrypted, confirms it with one code and gives ten recovery codes', async () => {
    const { ctx } = t.runtime;
    const { secret, uri } = await startTotpEnrolment(ctx, actor);
    expect(uri).toMatch(/^otpauth:\/\/totp\/Wharf:alice\?/);
    const row = await ctx.db.selectFrom('user_totp').selectAll().executeTakeFirstOrThrow();
    expect(row.secret).not.toContain(secret);
    expect(await openSecret(ctx, actor.userId, row.secret)).toBe(secret);
    // Bound to its row: the same ciphertext does not open for another user.
    expect(await openSecret(ctx, actor.userId + 1, row.secret)).toBeNull();
    expect(await hasSecondFactor(ctx, actor.userId)).toBe(false);

    await expect(confirmTotpEnrolment(ctx, actor, '000000')).rejects.toThrow(/not right/);
    const { recoveryCodes } = await confirmTotpEnrolment(ctx, actor, codeNow(secret));
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(await hasSecondFactor(ctx, actor.userId)).toBe(true);
    const stored = JSON.stringify(await ctx.db.selectFrom('recovery_codes').selectAll().execute());
    for (const code of recoveryCodes!) expect(stored).not.toContain(code.replace(/-/g, ''));
    const audit = await ctx.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'user.factor_add').execute();
    expect(audit.map((a) => JSON.parse(a.detail!).method)).toEqual(['totp']);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it('accepts a code once: the same code, or an earlier one, is refused after its use (no replay)', async () => {
    const { ctx } = t.runtime;
    const { secret } = await startTotpEnrolment(ctx, actor);
    await confirmTotpEnrolment(ctx, actor, codeNow(secret));
    // The confirming code is used already.
    expect(await verifyTotp(ctx, actor.userId, codeNow(secret))).toBe(false);
    clock().advance(30_000);
    const code = codeNow(secret);
    expect(await verifyTotp(ctx, actor.userId, code)).toBe(true);
    expect(await verifyTotp(ctx, actor.userId, code)).toBe(false);
    // Still within the window a step later, but used: refused. The previous step's code too.
    clock().advance(30_000);
    expect(await verifyTotp(ctx, actor.userId, code)).toBe(false);
    expect(await verifyTotp(ctx, actor.userId, codeNow(secret, -30_000))).toBe(false);
    expect(await verifyTotp(ctx, actor.userId, codeNow(secret))).toBe(true);
    // Two requests racing with one fresh code: exactly one wins.
    clock().advance(30_000);
    const fresh = codeNow(secret);
    const results = await Promise.all([verifyTotp(ctx, actor.userId, fresh), verifyTotp(ctx, actor.userId, fresh), verifyTotp(ctx, actor.userId, fresh)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const step = (await sql<{ last_step: number | string }>`select last_step from user_totp`.execute(ctx.db)).rows[0]!.last_step;
    expect(Number(step)).toBe(Math.floor(clock().now().getTime() / 30_000));
  });

  it('accepts each recovery code once, typed in any case, with or without dashes', async () => {
    const { ctx } = t.runtime;
    const { secret } = await startTotpEnrolment(ctx, actor);
    const { recoveryCodes } = await confirmTotpEnrolment(ctx, actor, codeNow(secret));
    const [first, second] = recoveryCodes!;
    expect(await useRecovery(ctx, actor.userId, first!)).toBe(true);
    expect(await useRecovery(ctx, actor.userId, first!)).toBe(false);
    expect(await checkSecondFactorCode(ctx, actor.userId, ` ${second!.toUpperCase().replace(/-/g, ' ')} `)).toBe('recovery-code');
    expect(await checkSecondFactorCode(ctx, actor.userId, second!)).toBeNull();
    expect(await checkSecondFactorCode(ctx, actor.userId, 'not-a-code')).toBeNull();
    // Another user's code is no code of alice's.
    expect(await useRecovery(ctx, actor.userId + 1, recoveryCodes![2]!)).toBe(false);
    const left = await ctx.db.selectFrom('recovery_codes').select('id').where('used_at', 'is', null).execute();
    expect(left).toHaveLength(8);
  });
});

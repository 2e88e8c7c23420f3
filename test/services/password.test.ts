import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  hashPassword,
  MAX_WAITING_HASHES,
  needsRehash,
  OWASP_SCRYPT,
  passwordHashCost,
  passwordProblem,
  setPasswordHashCost,
  verifyAgainstNothing,
  verifyPassword,
} from '../../src/services/password.service.js';
import { DEFAULT_LOGIN_LIMITS, LoginThrottle } from '../../src/services/login-throttle.js';
import { SharedWindow } from '../../src/services/shared-state/shared-limits.js';
import { createTestApp, type TestApp, TestClock } from '../helpers/test-app.js';
import { HeldHasher, settle } from '../helpers/held-hasher.js';
import { AppError } from '../../src/core/errors.js';

const FAST = { ln: 10, r: 8, p: 1 };

describe('password hashing', () => {
  afterEach(() => setPasswordHashCost(OWASP_SCRYPT));

  it('uses OWASP’s scrypt parameters by default (N=2^17, r=8, p=1), written into the hash with a 16-byte salt', async () => {
    expect(passwordHashCost()).toEqual({ ln: 17, r: 8, p: 1 });
    const hash = await hashPassword('a sufficiently long password');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword('a sufficiently long password', hash)).toBe(true);
  }, 20_000);

  it('salts every hash, verifies only the right password, and never matches a malformed hash', async () => {
    setPasswordHashCost(FAST);
    const a = await hashPassword('same password here');
    const b = await hashPassword('same password here');
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password here', a)).toBe(true);
    expect(await verifyPassword('same password here', b)).toBe(true);
    expect(await verifyPassword('same password herE', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
    for (const bad of ['', 'plain', a.replace('ln=10', 'ln=40'), a.replace('scrypt', 'md5'), a.slice(0, -4), `${a}x!`]) {
      expect(await verifyPassword('same password here', bad)).toBe(false);
    }
  });

  it('treats canonically equal Unicode the same (NFC)', async () => {
    setPasswordHashCost(FAST);
    const hash = await hashPassword('caf\u00e9 au lait, noir');
    expect(await verifyPassword('cafe\u0301 au lait, noir', hash)).toBe(true);
  });

  it('reads the cost from the hash, so raising it keeps old hashes valid and marks them for rehashing', async () => {
    setPasswordHashCost(FAST);
    const old = await hashPassword('raised cost later');
    expect(needsRehash(old)).toBe(false);
    setPasswordHashCost({ ln: 11, r: 8, p: 1 });
    expect(needsRehash(old)).toBe(true);
    expect(await verifyPassword('raised cost later', old)).toBe(true);
    expect(needsRehash(await hashPassword('raised cost later'))).toBe(false);
  });

  it.each([
    ['short', 'a password needs at least 12 characters'],
    ['elevenchars', 'a password needs at least 12 characters'],
    ['twelve chars', null],
    ['🔒'.repeat(12), null],
    ['x'.repeat(1024), null],
    ['x'.repeat(1025), 'a password may have at most 1024 characters'],
  ])('password rules: %s', (password, problem) => {
    expect(passwordProblem(password)).toBe(problem);
  });

  it('refuses the login as the password', () => {
    expect(passwordProblem('alice-the-admin', 'Alice-The-Admin')).toBe('a password must not be the login');
  });
});

describe('rate limits', () => {
  // The sliding window and the throttle keep their counts in the shared store: the run's database.
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());
  let made = 0;
  const windowOf = (clock: TestClock, limit: number) => new SharedWindow(app.runtime.shared, clock, `window-${made++}`, limit, 60_000);

  it('a sliding window: the oldest hit leaving the window frees one slot', async () => {
    const clock = new TestClock(new Date('2030-01-01T00:00:00Z'));
    const limiter = windowOf(clock, 3);
    await limiter.hit('k');
    clock.advance(20_000);
    await limiter.hit('k');
    await limiter.hit('k');
    expect(await limiter.retryAfter('k')).toBe(40);
    expect(await limiter.retryAfter('other')).toBe(0);
    clock.advance(40_000);
    expect(await limiter.retryAfter('k')).toBe(0);
    await limiter.hit('k');
    expect(await limiter.retryAfter('k')).toBe(20);
  });

  it('takes a hit only while the window has room, and answers the wait otherwise', async () => {
    const clock = new TestClock(new Date('2030-01-01T00:00:00Z'));
    const limiter = windowOf(clock, 1);
    expect(await limiter.take('a')).toBe(0);
    expect(await limiter.take('a')).toBe(60);
    expect(await limiter.take('b')).toBe(0);
    clock.advance(60_000);
    expect(await limiter.take('a')).toBe(0);
  });

  it('counts an attempt from one address before the password is checked, so a burst cannot pass the limit', async () => {
    const clock = new TestClock(new Date('2030-01-01T00:00:00Z'));
    const throttle = new LoginThrottle(app.runtime.shared, clock, { ...DEFAULT_LOGIN_LIMITS, failuresPerAddress: 2, inFlightPerAddress: 10 }, 'burst');
    const first = await throttle.begin('Alice', '1.1.1.1');
    await throttle.begin('bob', '1.1.1.1');
    await expect(throttle.begin('carol', '1.1.1.1')).rejects.toThrow(/too many failed sign-ins from your address/);
    await first.succeeded();
    await throttle.begin('carol', '1.1.1.1');
  });
});

describe('the queue of hashes', () => {
  let hasher: HeldHasher;
  afterEach(() => {
    hasher.uninstall();
    setPasswordHashCost(OWASP_SCRYPT);
  });

  /** Two checks running and sixteen waiting, all held. */
  const fillQueue = async () => {
    setPasswordHashCost(FAST);
    const hash = await hashPassword('the stored password');
    hasher = new HeldHasher().install();
    const checks = Array.from({ length: 2 + MAX_WAITING_HASHES }, (_, i) => verifyPassword(`guess ${i}`, hash));
    await hasher.whenStarted(2);
    return { hash, checks };
  };

  it('runs two hashes at once, lets 16 wait in order, and refuses more with 503 and Retry-After', async () => {
    const { hash, checks } = await fillQueue();
    await settle();
    expect(hasher.started).toEqual(['guess 0', 'guess 1']);
    const refused = await verifyPassword('one too many', hash).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).status).toBe(503);
    expect((refused as AppError).headers['retry-after']).toBe('2');
    // An ending hash hands its slot to the oldest waiter: never more than two run, in arrival order.
    hasher.releaseOne();
    await hasher.whenStarted(3);
    await settle();
    expect(hasher.started).toEqual(['guess 0', 'guess 1', 'guess 2']);
    hasher.releaseAll();
    for (let i = 3; i < checks.length; i++) {
      await hasher.whenStarted(i + 1);
      hasher.releaseAll();
    }
    expect(await Promise.all(checks)).toEqual(checks.map(() => false));
    expect(hasher.started).toEqual(checks.map((_, i) => `guess ${i}`));
    // The queue is free again: the next check goes straight in.
    const right = verifyPassword('the stored password', hash);
    await hasher.whenStarted(checks.length + 1);
    hasher.releaseAll();
    expect(await right).toBe(true);
  });

  it('recovers when the stand-in hash for unknown logins was refused by a full queue', async () => {
    const { checks } = await fillQueue();
    await expect(verifyAgainstNothing('anything')).rejects.toThrow(/too many passwords/);
    for (let i = 2; i <= checks.length; i += 2) {
      hasher.releaseAll();
      await hasher.whenStarted(Math.min(i + 2, checks.length));
    }
    hasher.releaseAll();
    await Promise.all(checks);
    const unknown = verifyAgainstNothing('anything');
    // The stand-in hash is made now, then checked against.
    await hasher.whenStarted(checks.length + 1);
    hasher.releaseAll();
    await hasher.whenStarted(checks.length + 2);
    hasher.releaseAll();
    expect(await unknown).toBe(false);
  });
});

describe('the sign-in throttle', () => {
  const clock = () => new TestClock(new Date('2030-01-01T00:00:00Z'));
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());
  let made = 0;
  const throttleOf = (c: TestClock, limits = DEFAULT_LOGIN_LIMITS) => new LoginThrottle(app.runtime.shared, c, limits, `signin-${made++}`);
  const fail = async (throttle: LoginThrottle, login: string, address: string) => (await throttle.begin(login, address)).failed();

  it('doubles the wait of an account and address after each failure beyond the free ones, up to 15 minutes', async () => {
    const c = clock();
    // The per-address limits are another test's business.
    const throttle = throttleOf(c, { ...DEFAULT_LOGIN_LIMITS, failuresPerAddress: 1000, checksPerAddress: 1000 });
    const waits: number[] = [];
    for (let i = 0; i < 14; i++) {
      try {
        await fail(throttle, 'alice', '1.1.1.1');
        waits.push(0);
      } catch (err) {
        const wait = Number((err as AppError).headers['retry-after']);
        waits.push(wait);
        c.advance(wait * 1000 - 1);
        await expect(throttle.begin('alice', '1.1.1.1')).rejects.toThrow(/too many failed sign-ins to this account from your address/);
        c.advance(1);
        await fail(throttle, 'alice', '1.1.1.1');
      }
    }
    expect(waits).toEqual([0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
    // Another address and another account are free all along.
    await fail(throttle, 'alice', '2.2.2.2');
    await fail(throttle, 'bob', '1.1.1.1');
  });

  it('keeps a typed login too long to be an account at a bounded size, and still tells two such logins apart', async () => {
    const c = clock();
    const throttle = throttleOf(c, { ...DEFAULT_LOGIN_LIMITS, failuresPerAddress: 1000, checksPerAddress: 1000 });
    const long = (tail: string) => `${'x'.repeat(60 * 1024)}${tail}`;
    for (let i = 0; i < 3; i++) await fail(throttle, long('a'), '1.1.1.1');
    const keys = await app.runtime.ctx.db.selectFrom('shared_state').select('key').execute();
    expect(Math.max(...keys.map((k) => k.key.length))).toBeLessThan(200);
    await expect(throttle.begin(long('a'), '1.1.1.1')).rejects.toThrow(/too many failed sign-ins to this account/);
    await fail(throttle, long('b'), '1.1.1.1');
  });

  it('lets two checks of one address run at once, and frees the slot when a check ends however it ends', async () => {
    const throttle = throttleOf(clock());
    const a = await throttle.begin('alice', '1.1.1.1');
    const b = await throttle.begin('bob', '1.1.1.1');
    await expect(throttle.begin('carol', '1.1.1.1')).rejects.toThrow(/already being checked/);
    await (await throttle.begin('carol', '2.2.2.2')).succeeded();
    await a.abandoned();
    const c = await throttle.begin('carol', '1.1.1.1');
    await b.succeeded();
    await c.failed();
    await c.failed();
    await (await throttle.begin('dave', '1.1.1.1')).succeeded();
  });

  it('never holds an abandoned check (a busy server) against anyone', async () => {
    const throttle = throttleOf(clock(), { ...DEFAULT_LOGIN_LIMITS, failuresPerAddress: 1, checksPerAddress: 1 });
    for (let i = 0; i < 5; i++) await (await throttle.begin('alice', '1.1.1.1')).abandoned();
    await (await throttle.begin('alice', '1.1.1.1')).succeeded();
  });
});

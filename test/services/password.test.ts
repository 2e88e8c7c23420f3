import { afterEach, describe, expect, it } from 'vitest';
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
import { SlidingWindowLimiter } from '../../src/services/rate-limiter.js';
import { TestClock } from '../helpers/test-app.js';
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
  it('a sliding window: the oldest hit leaving the window frees one slot', () => {
    const clock = new TestClock(new Date('2030-01-01T00:00:00Z'));
    const limiter = new SlidingWindowLimiter(3, 60_000, clock);
    limiter.hit('k');
    clock.advance(20_000);
    limiter.hit('k');
    limiter.hit('k');
    expect(limiter.retryAfter('k')).toBe(40);
    expect(limiter.retryAfter('other')).toBe(0);
    clock.advance(40_000);
    expect(limiter.retryAfter('k')).toBe(0);
    limiter.hit('k');
    expect(limiter.retryAfter('k')).toBe(20);
  });

  it('forgets the least recently hit keys beyond its capacity', () => {
    const clock = new TestClock(new Date('2030-01-01T00:00:00Z'));
    const limiter = new SlidingWindowLimiter(1, 60_000, clock, 2);
    limiter.hit('a');
    limiter.hit('b');
    limiter.hit('c');
    expect(limiter.retryAfter('a')).toBe(0);
    expect(limiter.retryAfter('c')).toBeGreaterThan(0);
  });

  it('counts an attempt from one address before the password is checked, so a burst cannot pass the limit', () => {
    const clock = new TestClock(new Date('2030-01-01T00:00:00Z'));
    const throttle = new LoginThrottle(clock, { ...DEFAULT_LOGIN_LIMITS, failuresPerAddress: 2, inFlightPerAddress: 10 });
    const first = throttle.begin('Alice', '1.1.1.1');
    throttle.begin('bob', '1.1.1.1');
    expect(() => throttle.begin('carol', '1.1.1.1')).toThrow(/too many failed sign-ins from your address/);
    first.succeeded();
    expect(() => throttle.begin('carol', '1.1.1.1')).not.toThrow();
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

  it('doubles the wait of an account and address after each failure beyond the free ones, up to 15 minutes', () => {
    const c = clock();
    // The per-address limits are another test's business.
    const throttle = new LoginThrottle(c, { ...DEFAULT_LOGIN_LIMITS, failuresPerAddress: 1000, checksPerAddress: 1000 });
    const waits: number[] = [];
    for (let i = 0; i < 14; i++) {
      try {
        throttle.begin('alice', '1.1.1.1').failed();
        waits.push(0);
      } catch (err) {
        const wait = Number((err as AppError).headers['retry-after']);
        waits.push(wait);
        c.advance(wait * 1000 - 1);
        expect(() => throttle.begin('alice', '1.1.1.1')).toThrow(/too many failed sign-ins to this account from your address/);
        c.advance(1);
        throttle.begin('alice', '1.1.1.1').failed();
      }
    }
    expect(waits).toEqual([0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
    // Another address and another account are free all along.
    expect(() => throttle.begin('alice', '2.2.2.2').failed()).not.toThrow();
    expect(() => throttle.begin('bob', '1.1.1.1').failed()).not.toThrow();
  });

  it('keeps a typed login too long to be an account at a bounded size, and still tells two such logins apart', () => {
    const c = clock();
    const throttle = new LoginThrottle(c, { ...DEFAULT_LOGIN_LIMITS, failuresPerAddress: 1000, checksPerAddress: 1000 });
    const long = (tail: string) => `${'x'.repeat(60 * 1024)}${tail}`;
    for (let i = 0; i < 3; i++) throttle.begin(long('a'), '1.1.1.1').failed();
    expect(throttle.heldKeyChars()).toBeLessThan(200);
    expect(() => throttle.begin(long('a'), '1.1.1.1')).toThrow(/too many failed sign-ins to this account/);
    expect(() => throttle.begin(long('b'), '1.1.1.1').failed()).not.toThrow();
  });

  it('lets two checks of one address run at once, and frees the slot when a check ends however it ends', () => {
    const throttle = new LoginThrottle(clock());
    const a = throttle.begin('alice', '1.1.1.1');
    const b = throttle.begin('bob', '1.1.1.1');
    expect(() => throttle.begin('carol', '1.1.1.1')).toThrow(/already being checked/);
    expect(() => throttle.begin('carol', '2.2.2.2').succeeded()).not.toThrow();
    a.abandoned();
    const c = throttle.begin('carol', '1.1.1.1');
    b.succeeded();
    c.failed();
    c.failed();
    expect(() => throttle.begin('dave', '1.1.1.1').succeeded()).not.toThrow();
  });

  it('never holds an abandoned check (a busy server) against anyone', () => {
    const throttle = new LoginThrottle(clock(), { ...DEFAULT_LOGIN_LIMITS, failuresPerAddress: 1, checksPerAddress: 1 });
    for (let i = 0; i < 5; i++) throttle.begin('alice', '1.1.1.1').abandoned();
    expect(() => throttle.begin('alice', '1.1.1.1').succeeded()).not.toThrow();
  });
});

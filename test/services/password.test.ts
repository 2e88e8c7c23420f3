import { afterEach, describe, expect, it } from 'vitest';
import {
  hashPassword,
  needsRehash,
  OWASP_SCRYPT,
  passwordHashCost,
  passwordProblem,
  setPasswordHashCost,
  verifyPassword,
} from '../../src/services/password.service.js';
import { DEFAULT_LOGIN_LIMITS, LoginThrottle } from '../../src/services/login-throttle.js';
import { SlidingWindowLimiter } from '../../src/services/rate-limiter.js';
import { TestClock } from '../helpers/test-app.js';

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

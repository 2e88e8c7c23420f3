import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits, LoginThrottle } from '../../src/services/login-throttle.js';
import { createTestApp, type TestApp, TestClock } from '../helpers/test-app.js';

const clock = () => new TestClock(new Date('2030-01-01T00:00:00Z'));

// The throttle keeps its counts in the shared store: the run's database (SQLite or PostgreSQL).
let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

let made = 0;
/** A throttle whose counts no other test's throttle sees. */
const throttleOf = (c: TestClock, limits: LoginLimits = DEFAULT_LOGIN_LIMITS) => new LoginThrottle(app.runtime.shared, c, limits, `test-${made++}`);
const succeed = async (throttle: LoginThrottle, login: string, address: string) => (await throttle.begin(login, address)).succeeded();

/** The address `n` of the IPv6 network `2001:db8:${net}::/64`. */
const inNet = (net: number, n: number) => `2001:db8:${net.toString(16)}:0:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}:beef:${n.toString(16)}`;

/** What one attempt comes to: 'checked' (and failed), or the status of the refusal. */
async function fail(throttle: LoginThrottle, login: string, address: string): Promise<'checked' | number> {
  try {
    await (await throttle.begin(login, address)).failed();
    return 'checked';
  } catch (err) {
    return (err as AppError).status;
  }
}

describe('the sign-in throttle counts an IPv6 client by its /64', () => {
  it('holds a spray of one account from many addresses of one /64 after the free failures, and not another /64', async () => {
    const throttle = throttleOf(clock());
    const outcomes: Array<'checked' | number> = [];
    for (let i = 0; i < 40; i++) outcomes.push(await fail(throttle, 'alice', inNet(1, i)));
    expect(outcomes).toEqual([...Array<string>(3).fill('checked'), ...Array<number>(37).fill(429)]);
    // The same host writing its addresses another way is still the same network.
    expect(await fail(throttle, 'alice', '2001:DB8:1:0:0:0:0:ffff')).toBe(429);
    expect(await fail(throttle, 'alice', '2001:db8:1::1%eth0')).toBe(429);
    // A neighbouring /64 is another client.
    await succeed(throttle, 'alice', inNet(2, 0));
  });

  it('counts failures and checks per /64 across accounts, and checks in flight per /64', async () => {
    const throttle = throttleOf(clock());
    for (let i = 0; i < DEFAULT_LOGIN_LIMITS.failuresPerAddress; i++) expect(await fail(throttle, `guess${i}`, inNet(1, i))).toBe('checked');
    await expect(throttle.begin('bob', inNet(1, 999))).rejects.toThrow(/too many failed sign-ins from your address/);
    await succeed(throttle, 'bob', inNet(3, 999));

    const busy = throttleOf(clock());
    await busy.begin('a', inNet(1, 1));
    await busy.begin('b', inNet(1, 2));
    await expect(busy.begin('c', inNet(1, 3))).rejects.toThrow(/already being checked/);
    await busy.begin('c', inNet(2, 3));
  });

  it('counts an IPv4 address written as IPv6 as that IPv4 address, and IPv4 neighbours apart', async () => {
    const throttle = throttleOf(clock());
    for (let i = 0; i < 3; i++) await fail(throttle, 'alice', '::ffff:203.0.113.9');
    expect(await fail(throttle, 'alice', '203.0.113.9')).toBe(429);
    expect(await fail(throttle, 'alice', '203.0.113.10')).toBe('checked');
  });
});

describe('the ceiling on one account’s failures from everywhere', () => {
  /** A distinct network for each n: IPv4 addresses, or IPv6 /64s, alternately. */
  const network = (n: number) => (n % 2 === 0 ? `198.51.${n >> 8}.${n & 0xff}` : inNet(0x100 + n, 1));
  const retryAfter = async (run: () => Promise<unknown>): Promise<number> => {
    try {
      await run();
    } catch (err) {
      expect((err as AppError).status).toBe(429);
      return Number((err as AppError).headers['retry-after']);
    }
    return 0;
  };

  it('holds an account sprayed from many networks, except from a network its owner signed in from lately', async () => {
    const c = clock();
    const throttle = throttleOf(c);
    await (await throttle.begin('alice', '2001:db8:cafe:1::10')).succeeded();
    c.advance(60_000);
    // One failure from each of 100 networks: no network comes near its own limits.
    for (let i = 0; i < DEFAULT_LOGIN_LIMITS.failuresPerAccount; i++) expect(await fail(throttle, 'alice', network(i))).toBe('checked');
    const wait = await retryAfter(() => throttle.begin('Alice', network(1000)));
    expect(wait).toBeGreaterThan(59 * 60);
    expect(wait).toBeLessThanOrEqual(60 * 60);
    await expect(throttle.begin('alice', '203.0.113.200')).rejects.toThrow(/too many failed sign-ins to this account from many addresses/);
    // The owner, from another address of their home /64, is not held back; nor is another account.
    await succeed(throttle, 'alice', '2001:db8:cafe:1::99');
    expect(await fail(throttle, 'bob', network(1000))).toBe('checked');
    // Once the window has passed, new networks may try again.
    c.advance(60 * 60_000);
    expect(await fail(throttle, 'alice', network(1001))).toBe('checked');
  });

  it('forgets a network that has not signed in to the account for 30 days', async () => {
    const c = clock();
    const throttle = throttleOf(c);
    await (await throttle.begin('alice', '192.0.2.44')).succeeded();
    c.advance(DEFAULT_LOGIN_LIMITS.rememberNetworkMs + 1);
    for (let i = 0; i < DEFAULT_LOGIN_LIMITS.failuresPerAccount; i++) await fail(throttle, 'alice', network(i));
    expect(await retryAfter(() => throttle.begin('alice', '192.0.2.44'))).toBeGreaterThan(0);
  });

  it('does not count successes or checks the busy server abandoned against the ceiling', async () => {
    const throttle = throttleOf(clock(), { ...DEFAULT_LOGIN_LIMITS, failuresPerAccount: 3 });
    for (let i = 0; i < 2; i++) await fail(throttle, 'alice', network(i));
    for (let i = 0; i < 5; i++) await (await throttle.begin('alice', network(10 + i))).abandoned();
    await (await throttle.begin('alice', network(20))).succeeded();
    expect(await fail(throttle, 'alice', network(30))).toBe('checked');
    expect(await fail(throttle, 'alice', network(31))).toBe(429);
  });

  it('keeps each stored key small whatever login is typed, and the sweep forgets every count once it has lapsed', async () => {
    const c = clock();
    const throttle = throttleOf(c);
    for (let i = 0; i < 20; i++) {
      const login = i % 3 === 0 ? `${'x'.repeat(10_000)}${i}` : `user${i}`;
      if (i % 2 === 0) await succeed(throttle, login, network(i));
      else expect(await fail(throttle, login, network(i))).toBe('checked');
    }
    const { db } = app.runtime.ctx;
    const keys = (await db.selectFrom('shared_state').select('key').execute()).map((r) => r.key);
    expect(keys.length).toBeGreaterThan(20);
    expect(Math.max(...keys.map((k) => k.length))).toBeLessThan(200);
    // Every count lapses (a known network last, after 30 days); then nothing of it is kept.
    c.advance(2 * DEFAULT_LOGIN_LIMITS.rememberNetworkMs);
    expect(await app.runtime.shared.sweep(c.now().getTime())).toBeGreaterThanOrEqual(keys.length);
    expect(await db.selectFrom('shared_state').select('key').execute()).toEqual([]);
  });
});

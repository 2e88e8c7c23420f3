import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { DEFAULT_LOGIN_LIMITS, LoginThrottle } from '../../src/services/login-throttle.js';
import { TestClock } from '../helpers/test-app.js';

const clock = () => new TestClock(new Date('2030-01-01T00:00:00Z'));

/** The address `n` of the IPv6 network `2001:db8:${net}::/64`. */
const inNet = (net: number, n: number) => `2001:db8:${net.toString(16)}:0:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}:beef:${n.toString(16)}`;

/** What one attempt comes to: 'checked' (and failed), or the status of the refusal. */
function fail(throttle: LoginThrottle, login: string, address: string): 'checked' | number {
  try {
    throttle.begin(login, address).failed();
    return 'checked';
  } catch (err) {
    return (err as AppError).status;
  }
}

describe('the sign-in throttle counts an IPv6 client by its /64', () => {
  it('holds a spray of one account from many addresses of one /64 after the free failures, and not another /64', () => {
    const throttle = new LoginThrottle(clock());
    const outcomes = Array.from({ length: 40 }, (_, i) => fail(throttle, 'alice', inNet(1, i)));
    expect(outcomes).toEqual([...Array<string>(3).fill('checked'), ...Array<number>(37).fill(429)]);
    // The same host writing its addresses another way is still the same network.
    expect(fail(throttle, 'alice', '2001:DB8:1:0:0:0:0:ffff')).toBe(429);
    expect(fail(throttle, 'alice', '2001:db8:1::1%eth0')).toBe(429);
    // A neighbouring /64 is another client.
    expect(() => throttle.begin('alice', inNet(2, 0)).succeeded()).not.toThrow();
  });

  it('counts failures and checks per /64 across accounts, and checks in flight per /64', () => {
    const throttle = new LoginThrottle(clock());
    for (let i = 0; i < DEFAULT_LOGIN_LIMITS.failuresPerAddress; i++) expect(fail(throttle, `guess${i}`, inNet(1, i))).toBe('checked');
    expect(() => throttle.begin('bob', inNet(1, 999))).toThrow(/too many failed sign-ins from your address/);
    expect(() => throttle.begin('bob', inNet(3, 999)).succeeded()).not.toThrow();

    const busy = new LoginThrottle(clock());
    busy.begin('a', inNet(1, 1));
    busy.begin('b', inNet(1, 2));
    expect(() => busy.begin('c', inNet(1, 3))).toThrow(/already being checked/);
    expect(() => busy.begin('c', inNet(2, 3))).not.toThrow();
  });

  it('counts an IPv4 address written as IPv6 as that IPv4 address, and IPv4 neighbours apart', () => {
    const throttle = new LoginThrottle(clock());
    for (let i = 0; i < 3; i++) fail(throttle, 'alice', '::ffff:203.0.113.9');
    expect(fail(throttle, 'alice', '203.0.113.9')).toBe(429);
    expect(fail(throttle, 'alice', '203.0.113.10')).toBe('checked');
  });
});

describe('the ceiling on one account’s failures from everywhere', () => {
  /** A distinct network for each n: IPv4 addresses, or IPv6 /64s, alternately. */
  const network = (n: number) => (n % 2 === 0 ? `198.51.${n >> 8}.${n & 0xff}` : inNet(0x100 + n, 1));
  const retryAfter = (run: () => unknown): number => {
    try {
      run();
    } catch (err) {
      expect((err as AppError).status).toBe(429);
      return Number((err as AppError).headers['retry-after']);
    }
    return 0;
  };

  it('holds an account sprayed from many networks, except from a network its owner signed in from lately', () => {
    const c = clock();
    const throttle = new LoginThrottle(c);
    throttle.begin('alice', '2001:db8:cafe:1::10').succeeded();
    c.advance(60_000);
    // One failure from each of 100 networks: no network comes near its own limits.
    for (let i = 0; i < DEFAULT_LOGIN_LIMITS.failuresPerAccount; i++) expect(fail(throttle, 'alice', network(i))).toBe('checked');
    const wait = retryAfter(() => throttle.begin('Alice', network(1000)));
    expect(wait).toBeGreaterThan(59 * 60);
    expect(wait).toBeLessThanOrEqual(60 * 60);
    expect(() => throttle.begin('alice', '203.0.113.200')).toThrow(/too many failed sign-ins to this account from many addresses/);
    // The owner, from another address of their home /64, is not held back; nor is another account.
    expect(() => throttle.begin('alice', '2001:db8:cafe:1::99').succeeded()).not.toThrow();
    expect(() => throttle.begin('bob', network(1000)).failed()).not.toThrow();
    // Once the window has passed, new networks may try again.
    c.advance(60 * 60_000);
    expect(() => throttle.begin('alice', network(1001)).failed()).not.toThrow();
  });

  it('forgets a network that has not signed in to the account for 30 days', () => {
    const c = clock();
    const throttle = new LoginThrottle(c);
    throttle.begin('alice', '192.0.2.44').succeeded();
    c.advance(DEFAULT_LOGIN_LIMITS.rememberNetworkMs + 1);
    for (let i = 0; i < DEFAULT_LOGIN_LIMITS.failuresPerAccount; i++) fail(throttle, 'alice', network(i));
    expect(retryAfter(() => throttle.begin('alice', '192.0.2.44'))).toBeGreaterThan(0);
  });

  it('does not count successes or checks the busy server abandoned against the ceiling', () => {
    const throttle = new LoginThrottle(clock(), { ...DEFAULT_LOGIN_LIMITS, failuresPerAccount: 3 });
    for (let i = 0; i < 2; i++) fail(throttle, 'alice', network(i));
    for (let i = 0; i < 5; i++) throttle.begin('alice', network(10 + i)).abandoned();
    throttle.begin('alice', network(20)).succeeded();
    expect(fail(throttle, 'alice', network(30))).toBe('checked');
    expect(fail(throttle, 'alice', network(31))).toBe(429);
  });

  it('keeps every map within its bound under a spray of accounts and networks, forgetting the least recent first', () => {
    const max = 8;
    const c = clock();
    const throttle = new LoginThrottle(c, DEFAULT_LOGIN_LIMITS, max);
    for (let i = 0; i < 500; i++) {
      const login = i % 3 === 0 ? `${'x'.repeat(10_000)}${i}` : `user${i}`;
      if (i % 2 === 0) throttle.begin(login, network(i)).succeeded();
      else fail(throttle, login, network(i));
      c.advance(1000);
    }
    const sizes = throttle.heldEntries();
    expect(Object.keys(sizes).sort()).toEqual(['accountFailures', 'accountSuccesses', 'addressChecks', 'addressFailures', 'inFlight', 'knownNetworks', 'pairs']);
    for (const [map, size] of Object.entries(sizes)) expect(size, map).toBeLessThanOrEqual(max);
    expect(sizes.knownNetworks).toBe(max);
    expect(throttle.heldKeyChars()).toBeLessThan(2 * max * 100);
    // The most recent sign-ins are still remembered; the oldest are gone.
    const sprayed = (login: string) => {
      for (let i = 0; i < DEFAULT_LOGIN_LIMITS.failuresPerAccount; i++) fail(throttle, login, network(1000 + i));
    };
    sprayed('user496');
    sprayed('user2');
    expect(() => throttle.begin('user496', network(496)).succeeded()).not.toThrow();
    expect(retryAfter(() => throttle.begin('user2', network(2)))).toBeGreaterThan(0);
  });
});

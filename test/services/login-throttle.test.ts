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

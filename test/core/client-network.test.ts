import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientNetwork, UNPARSED } from '../../src/core/client-network.js';

describe('clientNetwork', () => {
  it.each<[string, string]>([
    // IPv4 stays one address.
    ['203.0.113.9', '203.0.113.9'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['127.0.0.1', '127.0.0.1'],
    // IPv6 counts by its /64, written out in full and lowercase.
    ['2001:db8::1', '2001:0db8:0000:0000::/64'],
    ['2001:DB8:0:0:FFFF:1:2:3', '2001:0db8:0000:0000::/64'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:0db8:0000:0000::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:0db8:0001:0002::/64'],
    ['2001:db8:1:2::', '2001:0db8:0001:0002::/64'],
    ['2001:db8:1::2', '2001:0db8:0001:0000::/64'],
    ['::', '0000:0000:0000:0000::/64'],
    ['::1', '0000:0000:0000:0000::/64'],
    ['1::', '0001:0000:0000:0000::/64'],
    ['1:2:3:4:5:6:7::', '0001:0002:0003:0004::/64'],
    ['::2:3:4:5:6:7:8', '0000:0002:0003:0004::/64'],
    // A zone names a local interface; the address is what counts.
    ['fe80::1%eth0', 'fe80:0000:0000:0000::/64'],
    ['fe80::abcd:1%25', 'fe80:0000:0000:0000::/64'],
    // An IPv4 address written as IPv6 is that IPv4 address.
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::FFFF:192.0.2.1', '192.0.2.1'],
    ['::ffff:cb00:7109', '203.0.113.9'],
    ['0:0:0:0:0:ffff:198.51.100.7', '198.51.100.7'],
    // Other IPv6 forms with a dotted tail are still IPv6.
    ['64:ff9b::192.0.2.1', '0064:ff9b:0000:0000::/64'],
    ['::1.2.3.4', '0000:0000:0000:0000::/64'],
  ])('%s -> %s', (address, network) => {
    expect(clientNetwork(address)).toBe(network);
  });

  it.each([
    '',
    'unknown',
    ' 203.0.113.9',
    '203.0.113.9 ',
    '203.0.113',
    '203.0.113.9.1',
    '256.0.0.1',
    '010.0.0.1',
    '1.2.3.-4',
    '[2001:db8::1]',
    '[2001:db8::1]:443',
    '203.0.113.9:8080',
    '2001:db8:::1',
    '2001::db8::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '12345::1',
    'g::1',
    '::ffff:1.2.3.256',
    '::ffff:1.2.3',
    '1.2.3.4::',
    '::1.2.3.4:5',
    'fe80::1%',
    '%eth0',
    `${'1:'.repeat(40)}1`,
    'x'.repeat(100_000),
  ])('%j is not an address', (address) => {
    expect(clientNetwork(address)).toBe(UNPARSED);
  });

  it('gives every address of one /64 the same key, and keys of bounded size whatever the input', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.array(group, { minLength: 4, maxLength: 4 }), (a, tail) => {
        const b = [...a.slice(0, 4), ...tail];
        const mapped = (g: string[]) => g.slice(0, 6).join(':') === '0:0:0:0:0:ffff';
        if (!mapped(a) && !mapped(b)) expect(clientNetwork(a.join(':'))).toBe(clientNetwork(b.join(':').toUpperCase()));
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(clientNetwork(text).length).toBeLessThanOrEqual(24);
      }),
    );
  });
});
